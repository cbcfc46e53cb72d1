"""tinyir dialects: `tiny`, int8 operators on explicit buffers."""

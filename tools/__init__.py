"""Command-line drivers: tinyir-opt, tinyir-run."""

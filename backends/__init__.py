"""Code generation backends (the C backend lands here)."""

"""The `telecomgpt` command line (typer)."""

"""Benchmarks: `python -m bench NAME [options]` prints one JSON object as its last line."""

"""Benchmark readers (official file formats) and builders (tasks made from the corpus), cached as JSONL."""

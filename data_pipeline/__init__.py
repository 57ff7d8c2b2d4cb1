"""Ingest, clean, filter, deduplicate and decontaminate telecom corpora on datatrove."""

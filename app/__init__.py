"""The RAG assistant: clause-aware index, hybrid retrieval with citations, API and web chat."""

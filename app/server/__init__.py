"""The assistant's HTTP server: OpenAI-compatible API, retrieval API, metrics and the web chat page."""

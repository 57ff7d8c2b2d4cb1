"""lm-eval model classes over the project's LLM backends (registered as `telecomgpt` and `telecomgpt-rag`)."""

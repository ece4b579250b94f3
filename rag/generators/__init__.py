"""Generator backends: extractive (default), local LLM, OpenAI-compatible endpoint."""

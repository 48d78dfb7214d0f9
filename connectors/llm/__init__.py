"""connectors/llm."""

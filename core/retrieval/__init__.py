"""core/retrieval."""

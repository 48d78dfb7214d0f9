"""connectors/embeddings."""

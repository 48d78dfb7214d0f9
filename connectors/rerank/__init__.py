"""connectors/rerank."""

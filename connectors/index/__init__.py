"""connectors/index."""

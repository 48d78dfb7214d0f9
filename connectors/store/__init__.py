"""connectors/store."""

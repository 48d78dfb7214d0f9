"""connectors/queue."""

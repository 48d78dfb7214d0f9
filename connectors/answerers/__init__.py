"""connectors/answerers."""

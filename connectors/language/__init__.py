"""connectors/language."""

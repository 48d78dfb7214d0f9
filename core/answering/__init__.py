"""core/answering."""

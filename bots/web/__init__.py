"""The web: the chat page and embeddable widget, and the agency's dashboard, served by ``loci serve``."""

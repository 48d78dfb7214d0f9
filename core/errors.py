"""The one error hierarchy of the project. Adapters convert vendor errors with ``raise ... from exc``."""


class LociError(Exception):
    """Base of every error the assistant raises on purpose; its message is safe to show a user."""


class ConfigError(LociError):
    """A setting or configuration file is missing or invalid."""


class IndexUnavailable(LociError):
    """The search index cannot be read (missing, corrupt, or of another schema)."""


class ProviderError(LociError):
    """An outside service (model, database, queue) failed or is unreachable."""


class SourceError(LociError):
    """A source could not be fetched or read."""

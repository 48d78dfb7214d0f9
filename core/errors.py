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


class DeliveryError(ProviderError):
    """A channel could not deliver a reply. ``permanent``: retrying cannot help (the person blocked the bot,
    the number is invalid, the chat is gone), so the reply goes to the dead letter with the reason at once.
    ``retry_after``: the platform asked to wait that many seconds before the next attempt."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after

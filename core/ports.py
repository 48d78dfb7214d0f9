"""The ports the core needs from the outside world; ``connectors/`` implements them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .types import (
    Document,
    Draft,
    Hit,
    Passage,
    Profile,
    Query,
    QueueItem,
    Role,
    SearchRequest,
    SourceSpec,
    Turn,
    Vector,
)

if TYPE_CHECKING:
    from .ingestion import IngestReport


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; ``role`` selects query or passage encoding."""

    name: str

    async def embed(self, texts: Sequence[str], *, role: Role) -> Vector: ...


class Index(Protocol):
    """Read side of the search index: one retriever's ranked hits for a request."""

    async def search(self, request: SearchRequest) -> list[Hit]: ...

    def languages(self) -> set[str]:
        """The languages of the passages it holds."""
        ...


class IndexWriter(Protocol):
    """Write side of the search index."""

    async def replace_document(self, doc_id: str, fingerprint: str, passages: Sequence[Passage],
                               vectors: Vector) -> None: ...

    async def remove_documents(self, doc_ids: Sequence[str]) -> int: ...

    async def fingerprints(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str
    confidence: float


class LanguageDetector(Protocol):
    """Guesses the language of a text (ISO 639-1); may return a language the territory does not serve."""

    def detect(self, text: str) -> LanguageGuess | None: ...


class Reranker(Protocol):
    """Reorders a question's fused candidates, best first."""

    async def rerank(self, query: Query, hits: Sequence[Hit]) -> list[Hit] | None:
        """The candidates with the reranker's scores, best first; None when it has nothing to say and the fused
        order stands (e.g. no candidate in the question's language)."""
        ...

    def prepare(self, query: Query, hits: Sequence[Hit]) -> None:
        """Work that can be done on early candidates (called in a thread while the question is embedded)."""


class SentenceScorer(Protocol):
    """A question's best cosine with one sentence of each passage: a question is usually answered by one sentence,
    which the whole passage's vector dilutes (most of all across languages)."""

    async def best(self, vector: Vector, passages: Sequence[Passage]) -> list[float]: ...

    async def warm(self, passages: Sequence[Passage]) -> int:
        """Embeds the passages' sentences ahead (at ingestion), so that questions find them ready; returns how
        many sentences there were."""
        ...


class Translator(Protocol):
    """Translates a short text between two of the territory's languages (ISO 639-1), names, numbers and dates
    kept; raises ``ProviderError`` when it cannot."""

    name: str

    async def translate(self, text: str, *, source: str, target: str) -> str: ...


class Calibrator(Protocol):
    """How likely the best hits of a question hold its answer (0-1): below the threshold, the assistant
    abstains."""

    async def __call__(self, query: Query, hits: Sequence[Hit]) -> float: ...


class Answerer(Protocol):
    """Writes an answer from numbered passages: ``[n]`` refers to ``hits[n-1]``."""

    name: str

    async def compose(self, query: Query, hits: Sequence[Hit]) -> Draft: ...


class Chunker(Protocol):
    """Splits a document into passages."""

    def split(self, document: Document) -> list[Passage]: ...


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a source holds now.

    ``keep`` names documents that could not be fetched this time (a page that timed out): what is
    indexed from them stays. ``problems`` are per-item errors, for the report.
    """

    documents: list[Document]
    keep: frozenset[str] = frozenset()
    problems: tuple[str, ...] = ()


class SourceFetcher(Protocol):
    """Reads the documents a source currently holds; raises ``SourceError`` when it cannot at all."""

    async def fetch(self, source: SourceSpec) -> Fetched: ...


ProgressCallback = Callable[[int, int], None]
"""Called with (done, total) as long work advances."""


class Store(Protocol):
    """Conversations, profiles, feedback and analytics."""

    async def load_profile(self, user_key: str, channel: str) -> Profile: ...

    async def save_profile(self, profile: Profile) -> None: ...

    async def recent_turns(self, user_key: str, limit: int) -> list[Turn]: ...

    async def record_turn(self, turn: Turn) -> bool:
        """Stores a turn once; False when a turn with that id already exists."""
        ...

    async def record_feedback(self, turn_id: str, user_key: str, value: int, comment: str = "") -> None: ...

    async def record_redirect(self, turn_id: str, user_key: str, partner: str, url: str) -> None: ...

    async def turn(self, turn_id: str) -> Turn | None: ...

    async def record_delivery(self, ref: str, status: str, *, turn_id: str = "", user_key: str = "",
                              channel: str = "", detail: str = "") -> bool:
        """The delivery state of one sent message (``ref``: the platform's id for it)."""
        ...

    async def forget(self, user_key: str) -> int:
        """Erases everything kept about a person; returns the number of rows removed."""
        ...

    async def export(self, user_key: str) -> dict[str, Any]: ...

    async def purge_turns_before(self, cutoff: float) -> int: ...

    async def record_ingestion(self, report: IngestReport, at: float) -> None:
        """Keeps each source's last sync: when, whether it failed, and why."""
        ...

    async def ingestion_state(self) -> dict[str, tuple[float, str, str]]:
        """Source id -> (last run, ``ok`` or ``failed``, detail)."""
        ...


@dataclass(frozen=True, slots=True)
class QueueStats:
    pending: int
    leased: int
    done: int
    dead: int


class Queue(Protocol):
    """A durable at-least-once queue with deduplication, leases, retries and a dead letter.

    ``put`` returns False for an id it has already seen (even after it was processed), so platform
    retries are absorbed. A claimed item not acknowledged before its lease ends is handed out again.
    """

    async def put(self, item: QueueItem) -> bool: ...

    async def claim(self, lease_seconds: float) -> QueueItem | None: ...

    async def ack(self, item_id: str) -> None: ...

    async def release(self, item_id: str) -> None:
        """Gives a claimed item back at once, without counting a failure (used at shutdown)."""
        ...

    async def retry(self, item_id: str, reason: str, *, after: float | None = None) -> bool:
        """Schedules another attempt with backoff (not sooner than ``after`` seconds when given); False when the
        item went to the dead letter."""
        ...

    async def bury(self, item_id: str, reason: str) -> None:
        """Sends a claimed item to the dead letter at once: retrying cannot help."""
        ...

    async def forget_user(self, user_key: str) -> int: ...

    async def stats(self) -> QueueStats: ...

    async def dead_letters(self, limit: int = 100) -> list[QueueItem]: ...


class Sender(Protocol):
    """Delivers a reply on its channel; raises ``DeliveryError`` when the platform fails (permanent or not)."""

    async def send(self, item: QueueItem) -> None: ...


class Presence(Protocol):
    """Shows the person that an answer is being written (a channel's "typing…"); best effort."""

    async def working(self, reply_to: str) -> None: ...


class DraftWriter(Protocol):
    """A channel that can show an answer as a language model writes it, in one message it edits."""

    async def draft(self, reply_to: str, text: str, ref: str | None) -> str:
        """Sends ``text`` as a new message (``ref`` None) or edits message ``ref``; returns its reference."""
        ...

"""The partners' digest, the learning loop's weekly word to them: each partner's open content gaps (counts and
example questions, to teach from) and how many people it was sent to and how many followed the link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from .analytics import TurnFact, redirects
from .gaps import Gap, GapQuestion, report
from .types import Partner

MAX_GAPS = 10  # the largest open gaps of a partner a digest shows


class DigestBook(Protocol):
    async def list_gaps(self, *, partner: str | None = None,
                        since: float | None = None) -> list[tuple[Gap, list[GapQuestion]]]: ...

    async def turn_facts(self, since: float, partner: str | None = None) -> list[TurnFact]: ...

    async def followed(self, since: float) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class Digest:
    partner: str
    name: str
    channel: str | None  # its Slack channel, when it has one
    since: float
    gaps: list[dict[str, Any]]  # as ``loci gaps --json`` shows them, open ones, largest first
    open_gaps: int
    redirects_offered: int
    redirects_followed: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def digests(book: DigestBook, partners: Sequence[Partner], since: float, *, partner: str | None = None,
                  max_gaps: int = MAX_GAPS) -> list[Digest]:
    """One digest per partner (or for ``partner`` only): the same counts as the dashboard's redirects view."""
    counts = {p: (o, f) for p, o, f in redirects(await book.turn_facts(since, partner), await book.followed(since))}
    by_partner: dict[str | None, list[tuple[Gap, list[GapQuestion]]]] = {}
    for gap, questions in await book.list_gaps(partner=partner):  # largest first
        if gap.status == "open":
            by_partner.setdefault(gap.partner, []).append((gap, questions))
    out = []
    for p in partners:
        if partner is not None and p.id != partner:
            continue
        found = by_partner.get(p.id, [])
        offered, followed = counts.get(p.id, (0, 0))
        out.append(Digest(p.id, p.name, p.slack_channel, since, [report(g, qs) for g, qs in found[:max_gaps]],
                          len(found), offered, followed))
    return out

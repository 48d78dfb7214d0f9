"""The dashboard's views: each turns the state store's figures (core.analytics), for one account's scope, into
charts (for the vendored Chart.js), tables (also their CSV export) and, for the map, an SVG."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from genius_loci.core import analytics
from genius_loci.core.gaps import report
from genius_loci.core.ingestion import source_of

from ..bootstrap import Service
from .auth import Account
from .map import communes_svg

EXPIRING_DAYS = 30


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[Any]]  # a cell is a value, or {"text", "href"} for a link


@dataclass
class Page:
    title: str
    charts: list[dict[str, Any]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    svg: str = ""
    caption: str = ""


@dataclass(frozen=True)
class Scope:
    account: Account
    since: float
    until: float

    @property
    def partner(self) -> str | None:
        return self.account.scope

    def days(self) -> list[str]:
        return analytics.days_between(self.since, self.until)


def chart(title: str, kind: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
          axes: dict[str, str] | None = None, horizontal: bool = False) -> dict[str, Any]:
    return {"title": title, "type": kind, "labels": list(labels), "horizontal": horizontal,
            "series": [{"label": k, "data": list(v), "axis": (axes or {}).get(k, "y")} for k, v in series.items()]}


async def overview(service: Service, scope: Scope) -> Page:
    facts = await service.state.store.turn_facts(scope.since, scope.partner)
    days = scope.days()
    charts = [chart(f"Questions per day by {name}", "bar", days, analytics.per_day(facts, key, days).values)
              for name, key in (("channel", lambda f: f.channel), ("audience", lambda f: f.audience),
                                ("language", lambda f: f.language))]
    per_day = Counter(analytics.day_of(f.at) for f in facts)
    answered = Counter(analytics.day_of(f.at) for f in facts if f.status == "answered")
    rows = [[d, per_day[d], answered[d], per_day[d] - answered[d]] for d in reversed(days) if per_day[d]]
    return Page("Questions", charts, [Table(f"{len(facts)} questions", ["day", "questions", "answered",
                                                                          "abstained"], rows)])


async def communes_map(service: Service, scope: Scope) -> Page:
    store = service.state.store
    facts = await store.turn_facts(scope.since, scope.partner)
    located = await store.shared_locations(scope.since) if scope.partner is None else []
    territory = service.runtime.territory
    rows = analytics.communes(facts, territory.gazetteer(), located)
    table = Table("Communes", ["commune", "INSEE code", "questions about it", "asked from near it"],
                  [[r.name, r.code, r.about, r.asked_from] for r in rows if r.about or r.asked_from])
    return Page("Map", tables=[table], svg=communes_svg(rows),
                caption=f"{len(rows)} communes: blue, the questions about each; orange, where people who shared "
                        "their location were.")


async def topics(service: Service, scope: Scope) -> Page:
    facts = await service.state.store.turn_facts(scope.since, scope.partner)
    top = analytics.topics(facts, service.runtime.assistant.needs_of)
    return Page("Topics", [chart("What people ask for", "bar", [t for t, _ in top], {"questions": [n for _, n in top]},
                                 horizontal=True)],
                [Table("Needs named by the questions (config/intents.yaml)", ["topic", "questions"],
                       [[t, n] for t, n in top])])


async def quality(service: Service, scope: Scope) -> Page:
    store = service.state.store
    facts = await store.turn_facts(scope.since, scope.partner)
    votes = await store.vote_facts(scope.since, scope.partner)
    days = scope.days()
    series = analytics.quality(facts, votes, days).values
    charts = [chart("Confidence and answered share", "line", days,
                    {k: series[k] for k in ("mean confidence", "answered share")}),
              chart("Votes", "bar", days, {k: series[k] for k in ("votes 👍", "votes 👎")})]
    rows = [[d, *("" if series[k][i] is None else series[k][i] for k in series)]
            for i, d in reversed(list(enumerate(days)))
            if series["mean confidence"][i] is not None or series["votes 👍"][i] or series["votes 👎"][i]]
    return Page("Answer quality", charts, [Table("Per day", ["day", *series], rows)])


async def gaps(service: Service, scope: Scope) -> Page:
    found = await service.state.store.list_gaps(partner=scope.partner, since=scope.since)
    rows = []
    for gap, questions in found:
        r = report(gap, questions)
        rows.append([{"text": r["id"], "href": f"/dashboard/gaps/{r['id']}"}, r["count"], r["status"],
                     r["partner"] or "", ", ".join(r["languages"]), ", ".join(r["channels"]),
                     ", ".join(r["communes"]), " | ".join(r["examples"])])
    open_gaps = [r for r in rows if r[2] == "open"]
    return Page("Content gaps", [chart("Open gaps, largest first", "bar", [r[0]["text"] for r in open_gaps[:15]],
                                       {"questions": [r[1] for r in open_gaps[:15]]}, horizontal=True)],
                [Table("What people asked that the sources could not answer well (teach from a gap's page)",
                       ["gap", "questions", "status", "partner", "languages", "channels", "communes", "examples"],
                       rows)])


async def redirects(service: Service, scope: Scope) -> Page:
    store = service.state.store
    facts = await store.turn_facts(scope.since, scope.partner)
    followed = await store.followed(scope.since)
    rows = [r for r in analytics.redirects(facts, followed) if scope.partner in (None, r[0])]
    table = Table("People sent to each partner, and links followed",
                  ["partner", "offered", "followed", "followed share"],
                  [[p, o, f, f"{f / o:.0%}" if o else "—"] for p, o, f in rows])
    return Page("Redirects", [chart("Offered and followed", "bar", [r[0] for r in rows],
                                    {"offered": [r[1] for r in rows], "followed": [r[2] for r in rows]})], [table])


async def sources(service: Service, scope: Scope) -> Page:
    runtime = service.runtime
    state = await service.state.store.ingestion_state()
    documents = Counter(source_of(d) for d in await runtime.index.fingerprints())
    soon = time.time() + EXPIRING_DAYS * analytics.DAY
    expiring = Counter(source_of(p.doc_id) for p in await runtime.index.expiring(soon))
    rows = []
    for spec in runtime.sources:
        if scope.partner is not None and spec.owner != scope.partner:
            continue
        last, status, detail = state.get(spec.id, (0.0, "never", ""))
        when = dt.datetime.fromtimestamp(last, dt.UTC).strftime("%Y-%m-%d %H:%M") if last else "—"
        rows.append([spec.id, spec.owner or "", spec.kind, when, status, detail[:200], documents[spec.id],
                     expiring[spec.id]])
    rows.sort(key=lambda r: (r[4] != "failed", r[0]))
    failed = sum(r[4] == "failed" for r in rows)
    return Page("Sources", tables=[Table(f"{len(rows)} sources, {failed} failing (failing first)",
                                         ["source", "owner", "kind", "last sync (UTC)", "status", "detail",
                                          "documents", f"events ending within {EXPIRING_DAYS} days"], rows)])


View = Callable[[Service, Scope], Awaitable[Page]]
VIEWS: dict[str, tuple[str, View]] = {
    "overview": ("Questions", overview), "map": ("Map", communes_map), "topics": ("Topics", topics),
    "quality": ("Quality", quality), "gaps": ("Gaps", gaps), "redirects": ("Redirects", redirects),
    "sources": ("Sources", sources)}

"""Retrieval metrics over ranked lists."""

from __future__ import annotations

import bisect
import re
import statistics
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .metrics import quantile

CUTOFFS = (1, 5, 10)
MRR_CUTOFF = 10


@dataclass(slots=True)
class RetrievalTally:
    """Accumulates one method's results query by query."""

    hits_at: dict[int, int] = field(default_factory=lambda: dict.fromkeys(CUTOFFS, 0))
    reciprocal_ranks: list[float] = field(default_factory=list)
    milliseconds: list[float] = field(default_factory=list)

    def add(self, ranked_ids: Sequence[str], relevant: set[str], ms: float) -> None:
        rank = next((i for i, pid in enumerate(ranked_ids, start=1) if pid in relevant), None)
        for k in CUTOFFS:
            if rank is not None and rank <= k:
                self.hits_at[k] += 1
        self.reciprocal_ranks.append(1.0 / rank if rank is not None and rank <= MRR_CUTOFF else 0.0)
        self.milliseconds.append(ms)

    def summary(self) -> dict[str, float]:
        n = len(self.reciprocal_ranks)
        if n == 0:
            return {**{f"R@{k}": 0.0 for k in CUTOFFS}, "MRR@10": 0.0, "ms_per_query": 0.0}
        out = {f"R@{k}": round(self.hits_at[k] / n, 4) for k in CUTOFFS}
        out["MRR@10"] = round(sum(self.reciprocal_ranks) / n, 4)
        out["ms_per_query"] = round(statistics.fmean(self.milliseconds), 3)
        return out


def report(n_queries: int, tallies: Mapping[str, RetrievalTally]) -> dict[str, object]:
    """The public JSON shape of ``loci eval retrieval --json``."""
    return {"n_queries": n_queries, "methods": {m: t.summary() for m, t in tallies.items()}}


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form for gold-answer matching (SQuAD style)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"[^\w\s]", " ", plain)
    plain = re.sub(r"\b(le|la|les|l|un|une|des|du|de|d|the|a|an)\b", " ", plain)
    return " ".join(plain.split())


@dataclass(slots=True)
class AnswerTally:
    """Accumulates one answerer's results question by question."""

    n: int = 0
    contained: int = 0
    answered: int = 0
    cited_validly: int = 0
    language_ok: int = 0
    abstained: int = 0
    fell_back: int = 0
    milliseconds: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)  # characters of each answered text

    def add(self, *, text: str, status: str, citation_numbers: Sequence[int], n_citations: int, language: str,
            expected_language: str, gold: Sequence[str], ms: float, fell_back: bool = False) -> bool:
        """``fell_back``: another answerer than the one evaluated wrote the answer (the model failed).
        Returns whether the answer contains a gold answer."""
        self.n += 1
        self.milliseconds.append(ms)
        self.language_ok += language == expected_language
        if status == "abstained":
            self.abstained += 1
        if status != "answered":
            return False
        self.answered += 1
        self.fell_back += fell_back
        self.lengths.append(len(text))
        body = normalise(text)
        contained = any(normalise(g) and normalise(g) in body for g in gold)
        self.contained += contained
        self.cited_validly += bool(citation_numbers) and all(1 <= c <= n_citations for c in citation_numbers)
        return contained

    def summary(self) -> dict[str, float]:
        n = max(1, self.n)
        return {"gold_contained": round(self.contained / n, 4),
                "citation_valid": round(self.cited_validly / max(1, self.answered), 4),
                "language_match": round(self.language_ok / n, 4),
                "abstain_rate": round(self.abstained / n, 4),
                "fallback_rate": round(self.fell_back / max(1, self.answered), 4),
                "ms_per_question": round(statistics.fmean(self.milliseconds), 2) if self.milliseconds else 0.0,
                "ms_median": round(statistics.median(self.milliseconds), 2) if self.milliseconds else 0.0,
                "ms_p95": round(quantile(sorted(self.milliseconds), 0.95), 2) if self.milliseconds else 0.0,
                "mean_chars": round(statistics.fmean(self.lengths), 1) if self.lengths else 0.0,
                "median_chars": round(statistics.median(self.lengths), 1) if self.lengths else 0.0}


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve: the chance that a positive scores above a negative (ties count half)."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not positives or not negatives:
        return 0.0
    ranked = sorted(negatives)
    total = 0.0
    for p in positives:
        below = _count_below(ranked, p)
        ties = _count_below(ranked, p, inclusive=True) - below
        total += below + 0.5 * ties
    return total / (len(positives) * len(negatives))


def _count_below(ranked: Sequence[float], value: float, inclusive: bool = False) -> int:
    return (bisect.bisect_right if inclusive else bisect.bisect_left)(ranked, value)


def expected_calibration_error(confidences: Sequence[float], outcomes: Sequence[bool], bins: int = 10) -> float:
    """ECE: the mean gap between confidence and how often it was right, over equal-width bins, weighted by
    how many answers fall in each."""
    if not confidences:
        return 0.0
    gap = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [(c, y) for c, y in zip(confidences, outcomes, strict=True)
                   if low <= c < high or (b == bins - 1 and c == 1.0)]
        if members:
            mean_confidence = statistics.fmean(c for c, _ in members)
            accuracy = statistics.fmean(float(y) for _, y in members)
            gap += len(members) / len(confidences) * abs(mean_confidence - accuracy)
    return gap


@dataclass(slots=True)
class AbstentionTally:
    """Questions asked with their gold passages hidden (unanswerable) or not (answerable): how often the
    assistant abstains on each, and how well its confidence tells them apart."""

    confidences: list[float] = field(default_factory=list)
    answerable: list[bool] = field(default_factory=list)
    supported: list[bool] = field(default_factory=list)  # answered and containing a gold answer
    abstained: list[bool] = field(default_factory=list)

    def add(self, *, confidence: float, answerable: bool, abstained: bool, contained: bool) -> None:
        self.confidences.append(confidence)
        self.answerable.append(answerable)
        self.abstained.append(abstained)
        self.supported.append(answerable and not abstained and contained)

    def summary(self) -> dict[str, object]:
        def part(flag: bool) -> dict[str, float]:
            rows = [(a, s) for a, s, ok in zip(self.abstained, self.supported, self.answerable, strict=True)
                    if ok == flag]
            out: dict[str, float] = {"n": len(rows),
                                     "abstain_rate": round(sum(a for a, _ in rows) / max(1, len(rows)), 4)}
            if flag:
                out["gold_contained"] = round(sum(s for _, s in rows) / max(1, len(rows)), 4)
            return out
        return {"unanswerable": part(False), "answerable": part(True),
                "auroc": round(auroc(self.confidences, self.answerable), 4),
                "ece": round(expected_calibration_error(self.confidences, self.supported), 4)}


@dataclass
class ConversationTally:
    """Scripted conversations, turn by turn: the right source cited (answerable turns), the reply's language,
    abstention where the sources cannot answer, and follow-ups — how many stand-alone messages were wrongly
    read as continuing the previous question, how many follow-ups were completed."""

    turns: int = 0
    answerable: int = 0
    right_source: int = 0
    right_language: int = 0
    unanswerable: int = 0
    abstained: int = 0
    standalone: int = 0
    carried_wrongly: int = 0
    follow_ups: int = 0
    followed: int = 0

    def add(self, *, expect: Sequence[str] | str, language_ok: bool, answered: bool, cited: Sequence[str],
            follow: bool, carried: bool) -> None:
        """``expect``: the source ids that answer the turn, ``"none"`` (unanswerable) or ``"chat"`` (not a
        question: only the language is scored)."""
        self.turns += 1
        self.right_language += language_ok
        if expect == "none":
            self.unanswerable += 1
            self.abstained += not answered
        elif expect != "chat":
            self.answerable += 1
            self.right_source += answered and any(doc in expect for doc in cited)
        if follow:
            self.follow_ups += 1
            self.followed += carried
        else:
            self.standalone += 1
            self.carried_wrongly += carried

    def report(self) -> dict[str, float | int]:
        def rate(n: int, d: int) -> float:
            return round(n / d, 4) if d else 0.0

        return {"n_turns": self.turns, "right_source": rate(self.right_source, self.answerable),
                "right_language": rate(self.right_language, self.turns),
                "abstained_when_unanswerable": rate(self.abstained, self.unanswerable),
                "carried_over_wrongly": rate(self.carried_wrongly, self.standalone),
                "follow_ups_completed": rate(self.followed, self.follow_ups),
                "n_answerable": self.answerable, "n_unanswerable": self.unanswerable,
                "n_follow_ups": self.follow_ups}

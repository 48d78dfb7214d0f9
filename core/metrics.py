"""Counters, gauges and latency summaries of one process, rendered in the Prometheus text format.

Kept in memory and small on purpose: each process exposes its own at ``/metrics``; a scrape adds them up.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping

Labels = tuple[tuple[str, str], ...]

DESCRIPTIONS = {
    "loci_answers_total": ("counter", "Answers given, by channel, status and the answerer that wrote them"),
    "loci_answer_fallbacks_total": ("counter", "Answers the language model did not write, by reason "
                                               "(timeout, provider, uncited); the extractive answer was given"),
    "loci_translations_total": ("counter", "Translations asked of the language model, by purpose (question, "
                                           "quote) and outcome (ok, provider, timeout, unfaithful)"),
    "loci_answer_seconds": ("summary", "Time from taking a message to having its answer"),
    "loci_queue_items": ("gauge", "Items in a queue, by queue and state"),
}


def _key(labels: Mapping[str, str]) -> Labels:
    return tuple(sorted((k, str(v)) for k, v in labels.items()))


def _fmt(labels: Labels, extra: Labels = ()) -> str:
    pairs = labels + extra
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


def _escape(value: str) -> str:
    """A label value as the text format wants it: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Thread-safe; latency summaries keep the last ``window`` observations for their quantiles."""

    def __init__(self, window: int = 2000) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = {}
        self._gauges: dict[str, dict[Labels, float]] = {}
        self._samples: dict[str, dict[Labels, tuple[deque[float], list[float]]]] = {}
        self._window = window

    def count(self, name: str, amount: float = 1.0, **labels: str) -> None:
        with self._lock:
            series = self._counters.setdefault(name, {})
            key = _key(labels)
            series[key] = series.get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        with self._lock:
            self._gauges.setdefault(name, {})[_key(labels)] = value

    def observe(self, name: str, value: float, **labels: str) -> None:
        with self._lock:
            series = self._samples.setdefault(name, {})
            recent, totals = series.setdefault(_key(labels), (deque(maxlen=self._window), [0.0, 0.0]))
            recent.append(value)
            totals[0] += 1
            totals[1] += value

    def value(self, name: str, **labels: str) -> float:
        """A counter's or gauge's current value (0 when never set)."""
        with self._lock:
            key = _key(labels)
            return self._counters.get(name, {}).get(key, self._gauges.get(name, {}).get(key, 0.0))

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            names = sorted(set(self._counters) | set(self._gauges) | set(self._samples))
            for name in names:
                kind, text = DESCRIPTIONS.get(name, ("untyped", name))
                lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
                for labels, v in sorted({**self._counters.get(name, {}), **self._gauges.get(name, {})}.items()):
                    lines.append(f"{name}{_fmt(labels)} {v:g}")
                for labels, (recent, (count, total)) in sorted(self._samples.get(name, {}).items()):
                    ordered = sorted(recent)
                    for q in (0.5, 0.95):
                        lines.append(f"{name}{_fmt(labels, (('quantile', str(q)),))} {quantile(ordered, q):g}")
                    lines += [f"{name}_count{_fmt(labels)} {count:g}", f"{name}_sum{_fmt(labels)} {total:g}"]
        return "\n".join(lines) + "\n"


def quantile(ordered: list[float], q: float) -> float:
    """The nearest-rank quantile of sorted values (NaN for none)."""
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

"""Terminal output: progress bars and tables on stderr, so stdout stays clean for ``--json``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from genius_loci.core.ingestion import IngestReport
from genius_loci.core.ports import ProgressCallback

err = Console(stderr=True, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


@contextmanager
def live_preview() -> Iterator[Callable[[str], None]]:
    """Shows pieces of text as they arrive (dimmed), then clears them for the final answer. On a
    terminal only: piped output gets the final answer alone."""
    if not out.is_terminal:
        yield lambda _: None
        return
    text = Text(style="dim")
    with Live(text, console=out, transient=True, refresh_per_second=12) as live:
        def show(piece: str) -> None:
            text.append(piece)
            live.update(text)

        yield show


@contextmanager
def progress_bar(label: str) -> Iterator[ProgressCallback]:
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=False) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def ingest_table(report: IngestReport) -> Table:
    table = Table(title="Ingestion (dry run: nothing changed)" if report.dry_run else "Ingestion")
    # sources: ok, failed, with no change; documents: added, updated, unchanged, removed, near-duplicates
    for col in ("src ok", "failed", "same", "added", "updated", "same", "removed", "dupes", "chunks", "s"):
        table.add_column(col, justify="right")
    table.add_row(str(report.sources_ok), str(len(report.sources_failed)), str(report.sources_unchanged),
                  str(report.added), str(report.updated), str(report.unchanged), str(report.removed),
                  str(report.duplicates), str(report.chunks), f"{report.seconds:.1f}")
    return table


def retrieval_table(result: dict[str, object]) -> Table:
    table = Table(title=f"Retrieval on {result['n_queries']} queries")
    table.add_column("method")
    for col in ("R@1", "R@5", "R@10", "MRR@10", "ms/query"):
        table.add_column(col, justify="right")
    methods = result["methods"]
    assert isinstance(methods, dict)
    for name, m in methods.items():
        table.add_row(name, *(f"{m[k]:.3f}" for k in ("R@1", "R@5", "R@10", "MRR@10")), f"{m['ms_per_query']:.1f}")
    return table


def gaps_table(gaps: list[dict[str, object]]) -> Table:
    table = Table(title=f"{len(gaps)} content gaps, largest first")
    for col in ("id", "count", "status", "partner", "languages", "channels", "examples"):
        table.add_column(col, justify="right" if col == "count" else "left")
    for g in gaps:
        examples = g["examples"]
        assert isinstance(examples, list)
        table.add_row(str(g["id"]), str(g["count"]), str(g["status"]), str(g["partner"] or "—"),
                      ", ".join(g["languages"]), ", ".join(g["channels"]),  # type: ignore[arg-type]
                      " | ".join(str(e) for e in examples))
    return table


def conversations_table(result: dict[str, object]) -> Table:
    table = Table(title=f"{result['n_conversations']} scripted conversations, {result['n_turns']} turns")
    table.add_column("part")
    columns = ("right_source", "right_language", "abstained_when_unanswerable", "carried_over_wrongly",
               "follow_ups_completed")
    for col in ("turns", *(c.replace("_", " ") for c in columns)):
        table.add_column(col, justify="right")
    parts = result["parts"]
    assert isinstance(parts, dict)
    for name, m in [*parts.items(), ("all", result)]:
        table.add_row(name, str(m["n_turns"]), *(f"{m[c]:.3f}" for c in columns))
    return table


def answers_table(result: dict[str, object]) -> Table:
    table = Table(title=f"Answers to {result['n_questions']} questions")
    table.add_column("answerer")
    for col in ("gold contained", "citations valid", "language match", "abstained", "fell back", "mean ms",
                "median ms", "p95 ms"):
        table.add_column(col, justify="right")
    answerers = result["answerers"]
    assert isinstance(answerers, dict)
    for name, m in answerers.items():
        table.add_row(name, *(f"{m[k]:.3f}" for k in ("gold_contained", "citation_valid", "language_match",
                                                       "abstain_rate", "fallback_rate")),
                      *(f"{m[k]:.0f}" for k in ("ms_per_question", "ms_median", "ms_p95")))
    return table

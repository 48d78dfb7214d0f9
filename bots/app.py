"""The ASGI composition root: HTTP API, health probes, and (embedded mode) the in-process workers.

Every request is translated at the edge into an ``IncomingMessage`` that goes through the durable
inbox like any channel's; the reply is the stored turn of that message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from genius_loci.config.settings import Settings
from genius_loci.core.envelope import inbox_id
from genius_loci.core.errors import LociError, ProviderError
from genius_loci.core.types import GeoPoint, IncomingMessage

from .bootstrap import Service, build_service
from .channels import webhook_routers
from .housekeeping import housekeeping
from .http import ApiError, read_body
from .inbox import enqueue
from .web import chat, dashboard
from .web.auth import Accounts

log = logging.getLogger("genius_loci.app")
POLL_SECONDS = 0.02


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(_Body):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class AskBody(_Body):
    session_id: str = Field(min_length=1, max_length=200)
    text: str
    message_id: str | None = Field(None, min_length=1, max_length=200)
    language: str | None = Field(None, pattern=r"^[a-z]{2}$")
    audience: str | None = Field(None, pattern=r"^(tourist|investor|resident|student)$")
    location: Location | None = None


class SessionBody(_Body):
    session_id: str = Field(min_length=1, max_length=200)


class FeedbackBody(SessionBody):
    message_id: str = Field(min_length=1, max_length=200)
    value: int = Field(ge=-1, le=1)
    comment: str = Field("", max_length=2000)


async def read_json(request: Request, model: type[_Body], limit: int) -> Any:
    """The body as ``model``, or an ``ApiError`` that says what is wrong (413, 400, 422)."""
    body = await read_body(request, limit)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ApiError(422, details) from exc


def create_app(settings: Settings, factory: Callable[[Settings], Service] = build_service, *,
               telegram_polling: bool = False, slack_socket_mode: bool = False, web_only: bool = False) -> FastAPI:
    """The app ``loci serve`` runs: the API, and the webhooks of every channel the settings turn on. ``web_only``
    (``loci serve --no-worker``, scale-out): no inbox worker, outbox dispatcher or housekeeping here — separate
    ``loci worker`` and ``loci housekeeping`` processes do that work."""
    ready = asyncio.Event()
    # a missing secret fails here, at start
    routers = webhook_routers(settings, telegram_polling=telegram_polling, slack_socket_mode=slack_socket_mode)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = factory(settings)
        await service.state.migrate()
        app.state.service = service
        app.state.channels = service.channels
        app.state.accounts = Accounts(service.state.store, [p.id for p in service.runtime.partners])
        app.state.limits = chat.WebLimits(settings.web_session_per_minute, settings.web_ip_per_minute,
                                          service.runtime.territory.voice)
        await service.channels.start()
        stop = asyncio.Event()

        async def prepare() -> None:
            if web_only:  # nothing is answered here: the index and the models are the workers'
                ready.set()
                return
            await service.runtime.warm_up()
            report = await service.runtime.ensure_index()
            if report is not None:
                log.info("index built", extra={"event": "index.built", **report.to_dict()})
            votes, synced = await service.learn()
            log.info("votes and lessons learned", extra={"event": "learning.loaded", "votes": votes,
                                                         "lessons_synced": synced})
            ready.set()

        async def after_ready(run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
            await ready.wait()
            await run(stop)

        tasks = [asyncio.create_task(prepare(), name="prepare")]
        if not web_only:
            tasks += [asyncio.create_task(after_ready(service.inbox_worker.run), name="inbox-worker"),
                      asyncio.create_task(after_ready(service.dispatcher.run), name="outbox-dispatcher"),
                      asyncio.create_task(after_ready(lambda s: housekeeping(service, settings, s)),
                                          name="housekeeping")]
        if telegram_polling and service.channels.telegram is not None:
            tasks.append(asyncio.create_task(service.channels.telegram.poll(stop), name="telegram-polling"))
        try:
            yield
        finally:
            stop.set()
            ready.set()  # let tasks still waiting for readiness see the stop
            _, pending = await asyncio.wait(tasks, timeout=settings.shutdown_grace_seconds)
            for task in pending:  # a message still in hand goes back to the inbox (see InboxWorker)
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await service.aclose()
            log.info("stopped", extra={"event": "app.stopped", "cancelled": len(pending)})

    app = FastAPI(title="Genius Loci", version="0.1.0", lifespan=lifespan)
    for router in routers.values():
        app.include_router(router)
    # the web: the chat page and widget, the dashboard, their static files (docs/web.md)
    app.include_router(chat.router())
    app.include_router(dashboard.router(secure_cookies=(settings.public_url or "").startswith("https://")))
    app.mount("/static", chat.static_files(), name="static")
    if settings.web_origins:  # the sites allowed to embed the widget; others' browsers are refused
        app.add_middleware(CORSMiddleware, allow_origins=settings.web_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], max_age=600)

    @app.exception_handler(dashboard.NotLoggedIn)
    async def _login_first(request: Request, _: dashboard.NotLoggedIn) -> RedirectResponse:
        return RedirectResponse("/dashboard/login", status_code=303)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(ProviderError)
    async def _provider_error(_: Request, exc: ProviderError) -> JSONResponse:
        log.error("provider failed", extra={"event": "app.provider_error", "reason": str(exc)})
        return JSONResponse({"error": "a backing service is unavailable, try again shortly"}, status_code=503)

    def service_of(request: Request) -> Service:
        if not ready.is_set():
            raise ApiError(503, "starting: the index is being built, try again shortly")
        svc: Service = request.app.state.service
        return svc

    def incoming(body: AskBody, service: Service) -> tuple[IncomingMessage, str]:
        message_id = body.message_id or uuid.uuid4().hex
        message = IncomingMessage(
            channel="web", user_id=service.state.user_key("web", body.session_id), text=body.text,
            message_id=message_id, location=GeoPoint(body.location.lat, body.location.lon) if body.location else None,
            language_hint=body.language, audience=body.audience)
        return message, inbox_id("web", message_id)

    def too_late(message_id: str) -> str:
        return f"no answer yet; ask again with the same message_id ({message_id}) to get it"

    async def not_answered(service: Service, message_id: str) -> ApiError:
        """Why no answer came in time: the index is down (503; the message is kept and answered once it is back),
        or the answer is slow (504)."""
        try:
            await service.runtime.index.ping()
        except LociError as exc:
            return ApiError(503, f"the search index is unavailable ({exc}); your message is kept and will be "
                                 f"answered when it is back: {too_late(message_id)}")
        return ApiError(504, too_late(message_id))

    @app.post("/api/ask")
    async def ask(request: Request) -> JSONResponse:
        body: AskBody = await read_json(request, AskBody, settings.max_body_bytes)
        service = service_of(request)
        request.app.state.limits.check(request, body.session_id, body.language)
        message, item_id = incoming(body, service)
        await enqueue(service.state.inbox, message, channel="web")
        deadline = time.monotonic() + settings.ask_timeout_seconds
        while time.monotonic() < deadline:
            turn = await service.state.store.turn(item_id)
            if turn is not None:
                return JSONResponse({**turn.answer.to_dict(), "message_id": message.message_id})
            await asyncio.sleep(POLL_SECONDS)
        raise await not_answered(service, message.message_id)

    @app.post("/api/ask/stream")
    async def ask_stream(request: Request) -> StreamingResponse:
        """Server-sent events: ``delta`` pieces of the answer as a language model writes it (a preview),
        then one ``answer`` event with the final answer, as /api/ask returns it (or ``error``)."""
        body: AskBody = await read_json(request, AskBody, settings.max_body_bytes)
        service = service_of(request)
        request.app.state.limits.check(request, body.session_id, body.language)
        message, item_id = incoming(body, service)

        async def events() -> AsyncIterator[str]:
            with service.hub.listen(item_id) as pieces:
                await enqueue(service.state.inbox, message, channel="web")
                deadline = time.monotonic() + settings.ask_timeout_seconds
                while time.monotonic() < deadline:
                    turn = await service.state.store.turn(item_id)
                    while not pieces.empty():
                        yield _event("delta", {"text": pieces.get_nowait()})
                    if turn is not None:
                        yield _event("answer", {**turn.answer.to_dict(), "message_id": message.message_id})
                        return
                    with contextlib.suppress(TimeoutError):
                        yield _event("delta", {"text": await asyncio.wait_for(pieces.get(), POLL_SECONDS)})
                yield _event("error", {"error": too_late(message.message_id)})

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/api/forget")
    async def forget(request: Request) -> JSONResponse:
        body: SessionBody = await read_json(request, SessionBody, settings.max_body_bytes)
        state = service_of(request).state
        removed = await state.erase(state.user_key("web", body.session_id))
        return JSONResponse({"erased": removed})

    @app.post("/api/feedback")
    async def feedback(request: Request) -> JSONResponse:
        body: FeedbackBody = await read_json(request, FeedbackBody, settings.max_body_bytes)
        state = service_of(request).state
        item_id = inbox_id("web", body.message_id)
        user_key = state.user_key("web", body.session_id)
        turn = await state.store.turn(item_id)
        if turn is None or turn.user_key != user_key:
            raise ApiError(404, "no such message in this session")
        await state.store.record_feedback(item_id, user_key, body.value, body.comment)
        return JSONResponse({"recorded": True})

    @app.get("/go/{turn_id:path}")
    async def follow_redirect(turn_id: str, request: Request) -> RedirectResponse:
        """A tracked link to the partner an answer sends people on to: counted, then followed."""
        state = service_of(request).state
        turn = await state.store.turn(turn_id)
        if turn is None or turn.answer.redirect is None:
            raise ApiError(404, "no such answer, or it names no partner")
        redirect = turn.answer.redirect
        await state.store.record_redirect(turn.id, turn.user_key, redirect.partner, redirect.url)
        return RedirectResponse(redirect.url, status_code=302)

    @app.get("/metrics")
    async def metrics(request: Request) -> PlainTextResponse:
        """Prometheus text format: answers by status and answerer, model fallbacks by reason, answer
        latency quantiles, queue depths."""
        service = service_of(request)
        registry = service.runtime.metrics
        for name, queue in (("inbox", service.state.inbox), ("outbox", service.state.outbox)):
            stats = await queue.stats()
            for field_name in ("pending", "leased", "done", "dead"):
                registry.set("loci_queue_items", getattr(stats, field_name), queue=name, state=field_name)
        return PlainTextResponse(registry.render(), media_type="text/plain; version=0.0.4")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        problems = []
        if not ready.is_set():
            problems.append("index not built yet")
        else:
            service: Service = request.app.state.service
            try:
                await service.state.store.ping()
                await service.state.inbox.stats()
                await service.runtime.index.ping()
            except LociError as exc:
                problems.append(str(exc))
        if problems:
            return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    return app


def _event(name: str, data: Mapping[str, object]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"

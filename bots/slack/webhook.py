"""``POST /webhooks/slack/events``, ``/interactions`` and ``/commands``: Bolt's own FastAPI/Starlette translation
(``to_async_bolt_request``, ``to_starlette_response``) around one ``AsyncApp.async_dispatch``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response

from ..http import read_body
from .channel import SlackChannel

PATHS = ("/webhooks/slack/events", "/webhooks/slack/interactions", "/webhooks/slack/commands")


def router(max_body_bytes: int) -> APIRouter:
    api = APIRouter()

    async def dispatch(request: Request) -> Response:
        body = await read_body(request, max_body_bytes)
        channel: SlackChannel = request.app.state.channels.slack
        return to_starlette_response(await channel.app.async_dispatch(to_async_bolt_request(request, body)))

    for path in PATHS:
        api.add_api_route(path, dispatch, methods=["POST"])
    return api

"""``POST /webhooks/telegram``: check the secret token, put the update in the inbox, answer 200 at once."""

from __future__ import annotations

import hmac
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..http import ApiError, read_body
from .channel import TelegramChannel

PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def router(secret: str, max_body_bytes: int) -> APIRouter:
    """The webhook. A body Telegram's SDK cannot read is logged and acknowledged (200): Telegram re-sends
    failed updates, and an unreadable one would come back forever."""
    api = APIRouter()

    @api.post(PATH)
    async def webhook(request: Request) -> JSONResponse:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            raise ApiError(401, f"missing {SECRET_HEADER}")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise ApiError(403, f"wrong {SECRET_HEADER}")
        body = await read_body(request, max_body_bytes)
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"body is not valid JSON: {exc}") from exc
        channel: TelegramChannel = request.app.state.channels.telegram
        update = channel.read(data)
        if update is None:
            return JSONResponse({"ok": True, "outcome": "unreadable"})
        return JSONResponse({"ok": True, "outcome": await channel.accept(update)})

    return api

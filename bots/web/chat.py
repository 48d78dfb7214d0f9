"""The chat page at ``/``, the widget script at ``/widget.js`` (one ``<script>`` tag on an allowed site), their
static files, and the web's abuse protection: per-session and per-address limits on questions, with the
agency's polite "slow down" in the asker's language."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from genius_loci.core.voice import Voice

from ..http import ApiError
from ..ratelimit import SenderLimit

STATIC = Path(__file__).parent / "static"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class WebLimits:
    """Questions a minute per chat session and per address (each web process counts its own share)."""

    def __init__(self, per_session: int, per_address: int, voice: Voice) -> None:
        self._sessions = SenderLimit(per_session)
        self._addresses = SenderLimit(per_address)
        self._voice = voice

    def check(self, request: Request, session_id: str, language: str | None) -> None:
        address = request.client.host if request.client else "unknown"
        if not self._addresses.allow(address) or not self._sessions.allow(session_id):
            said = language if language in self._voice.languages else self._voice.default_language
            raise ApiError(429, self._voice.say("slow_down", said))


def router() -> APIRouter:
    api = APIRouter()

    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> Response:
        territory = request.app.state.service.runtime.territory
        asked = request.query_params.get("lang", "")
        language = asked if asked in territory.voice.languages else territory.voice.default_language
        return templates.TemplateResponse(request, "chat.html", {"territory": territory.name, "language": language})

    @api.get("/widget.js", include_in_schema=False)
    async def widget() -> FileResponse:
        return FileResponse(STATIC / "chat.js", media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=300"})

    return api


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC)

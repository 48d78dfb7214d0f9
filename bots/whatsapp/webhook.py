"""``POST /webhooks/whatsapp`` (messages) and ``/webhooks/whatsapp/status`` (delivery statuses), signed by
Twilio: checked with the SDK's ``RequestValidator`` against the public URL, acknowledged at once."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData, UploadFile
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from ..http import ApiError, read_body
from .channel import WhatsAppChannel

PATH = "/webhooks/whatsapp"
STATUS_PATH = "/webhooks/whatsapp/status"
SIGNATURE_HEADER = "X-Twilio-Signature"
log = logging.getLogger("genius_loci.whatsapp")


def router(auth_token: str, public_url: str, max_body_bytes: int) -> APIRouter:
    validator = RequestValidator(auth_token)
    api = APIRouter()

    async def signed_form(request: Request, path: str) -> FormData:
        """The form, once its signature matches what Twilio signed: the public URL (with or without the default
        port), the query string, and every parameter."""
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise ApiError(401, f"missing {SIGNATURE_HEADER}")
        body = await read_body(request, max_body_bytes)
        try:
            pairs: list[tuple[str, str | UploadFile]] = list(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise ApiError(400, "body is not UTF-8 form data") from exc
        form = FormData(pairs)
        url = public_url.rstrip("/") + path + (f"?{request.url.query}" if request.url.query else "")
        if not validator.validate(url, form, signature):
            log.warning("bad signature", extra={"event": "whatsapp.bad_signature", "path": path})
            raise ApiError(403, "signature does not match (is LOCI_PUBLIC_URL the URL Twilio calls?)")
        return form

    @api.post(PATH)
    async def inbound(request: Request) -> Response:
        form = await signed_form(request, PATH)
        channel: WhatsAppChannel = request.app.state.channels.whatsapp
        polite = await channel.accept({k: str(v) for k, v in form.items()})
        reply = MessagingResponse()
        if polite:  # over the sender's limit: said at once, not queued
            reply.message(polite)
        return Response(str(reply), media_type="application/xml")

    @api.post(STATUS_PATH)
    async def status(request: Request) -> Response:
        form = await signed_form(request, STATUS_PATH)
        channel: WhatsAppChannel = request.app.state.channels.whatsapp
        await channel.status({k: str(v) for k, v in form.items()})
        return Response(status_code=204)

    return api

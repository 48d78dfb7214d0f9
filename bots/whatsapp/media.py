"""Voice notes from WhatsApp: Twilio's ``MediaUrl0``, read with the account's HTTP basic credentials, following
the redirect to the file's storage (the credentials are not sent there)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from genius_loci.connectors.sealing import Sealer
from genius_loci.core.errors import ProviderError
from genius_loci.core.speech import Audio, SpeechError


class TwilioMedia:
    """``MediaSource`` of the WhatsApp channel: ``media`` is the sealed media URL and content type. Only URLs on
    the Twilio API's own host are fetched (a forged form cannot make the worker fetch anything else)."""

    def __init__(self, account_sid: str, auth_token: str, api_base_url: str, sealer: Sealer,
                 timeout: float = 30.0) -> None:
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._host = urlsplit(api_base_url).netloc
        self._sealer = sealer
        self._timeout = timeout

    async def fetch(self, media: str, max_bytes: int) -> Audio:
        url, _, content_type = self._sealer.open(media).partition("\n")
        if urlsplit(url).netloc != self._host:
            raise SpeechError("unreadable", "a media URL outside the Twilio API")
        data = bytearray()
        try:
            async with httpx.AsyncClient(auth=self._auth, follow_redirects=True, timeout=self._timeout) as client, \
                    client.stream("GET", url) as response:
                if response.status_code in (403, 404, 410):
                    raise SpeechError("unreadable", f"media HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise ProviderError(f"twilio media download failed: HTTP {response.status_code}")
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise SpeechError("too_long", f"more than {max_bytes} bytes")
                content_type = response.headers.get("content-type", content_type) or content_type
        except httpx.HTTPError as exc:
            raise ProviderError(f"twilio media download failed: {type(exc).__name__}") from exc
        return Audio(bytes(data), content_type or "audio/ogg")

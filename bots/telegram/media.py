"""Voice notes from Telegram: the Bot API's ``getFile`` then its file URL, as python-telegram-bot does."""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from genius_loci.connectors.sealing import Sealer
from genius_loci.core.errors import ProviderError
from genius_loci.core.speech import Audio, SpeechError


class TelegramMedia:
    """``MediaSource`` of the Telegram channel: ``media`` is the sealed ``file_id``."""

    def __init__(self, bot: Bot, sealer: Sealer) -> None:
        self._bot = bot
        self._sealer = sealer

    async def fetch(self, media: str, max_bytes: int) -> Audio:
        file_id, _, content_type = self._sealer.open(media).partition("\n")
        try:
            found = await self._bot.get_file(file_id)
            if found.file_size is not None and found.file_size > max_bytes:
                raise SpeechError("too_long", f"{found.file_size} bytes")
            data = bytes(await found.download_as_bytearray())
        except BadRequest as exc:  # too big for the Bot API (20 MB), or a file that no longer exists
            raise SpeechError("unreadable", exc.message) from exc
        except TelegramError as exc:
            raise ProviderError(f"telegram file download failed: {type(exc).__name__}") from exc
        return Audio(data, content_type or "audio/ogg")

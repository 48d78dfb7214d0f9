"""``loci telegram set-webhook`` and ``loci telegram info``: what Telegram knows of this bot's webhook."""

from __future__ import annotations

from typing import Any

from telegram.error import TelegramError

from genius_loci.config.settings import Settings
from genius_loci.core.errors import ConfigError, ProviderError

from .channel import ALLOWED_UPDATES, build_bot
from .webhook import PATH


def _bot_settings(settings: Settings) -> None:
    if not settings.telegram_enabled:
        raise ConfigError("set LOCI_TELEGRAM_BOT_TOKEN (from BotFather) first")


async def set_webhook(settings: Settings) -> dict[str, Any]:
    """Registers ``LOCI_PUBLIC_URL/webhooks/telegram`` with the secret token and the update types used."""
    _bot_settings(settings)
    if not settings.public_url or not settings.public_url.startswith("https://"):
        raise ConfigError("LOCI_PUBLIC_URL must be the https:// address where Telegram reaches `loci serve`")
    if settings.telegram_secret_token is None:
        raise ConfigError("set LOCI_TELEGRAM_SECRET_TOKEN (1-256 characters of A-Z a-z 0-9 _ -) first")
    url = settings.public_url.rstrip("/") + PATH
    bot = build_bot(settings)
    try:
        async with bot:
            await bot.set_webhook(url, secret_token=settings.telegram_secret_token.get_secret_value(),
                                  allowed_updates=list(ALLOWED_UPDATES), drop_pending_updates=False)
            return await info_of(bot)
    except TelegramError as exc:
        raise ProviderError(f"telegram refused the webhook: {exc.message}") from exc


async def info(settings: Settings) -> dict[str, Any]:
    _bot_settings(settings)
    bot = build_bot(settings)
    try:
        async with bot:
            return await info_of(bot)
    except TelegramError as exc:
        raise ProviderError(f"telegram did not answer: {exc.message}") from exc


async def info_of(bot: Any) -> dict[str, Any]:
    hook = await bot.get_webhook_info()
    me = bot.bot
    return {"bot": me.username, "webhook_url": hook.url, "pending_update_count": hook.pending_update_count,
            "allowed_updates": list(hook.allowed_updates or ()), "last_error_message": hook.last_error_message,
            "last_error_date": hook.last_error_date.isoformat() if hook.last_error_date else None}

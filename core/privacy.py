"""Pseudonymous user ids: a keyed hash of channel and platform id, so no phone number or handle is kept."""

from __future__ import annotations

import hashlib
import hmac


def pseudonymise(key: bytes, channel: str, platform_id: str) -> str:
    """A stable id for one person on one channel; without ``key`` it cannot be traced back."""
    digest = hmac.new(key, f"{channel}\x00{platform_id}".encode(), hashlib.sha256).hexdigest()
    return f"{channel}:{digest[:32]}"

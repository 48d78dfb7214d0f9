"""HTTP helpers shared by the API and the channels' webhooks: errors with a status, bounded body reading."""

from __future__ import annotations

from fastapi import Request


class ApiError(Exception):
    """Answered as ``{"error": message}`` with ``status`` by the app's handler."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or a 413 ``ApiError`` as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"body too large: {declared} bytes, the limit is {limit}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"body too large: over {limit} bytes")
    return body

"""The dashboard's accounts: argon2 password hashes, server-side sessions (the cookie holds a random token, the store
only its SHA-256), a CSRF token per session, and a limit on failed logins per address and per name."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from genius_loci.connectors.store.sql import SqlStore
from genius_loci.core.errors import LociError

ROLES = ("admin", "partner")
SESSION_HOURS = 12.0
MAX_FAILURES = 5  # failed logins from one address, or for one name, in WINDOW_SECONDS: then refused for a while
WINDOW_SECONDS = 900.0
MIN_PASSWORD = 10
_NAME = re.compile(r"^[a-zA-Z0-9._@-]{2,80}$")


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: str  # admin | partner
    partner: str | None  # a partner account sees this partner's figures only
    csrf: str

    @property
    def scope(self) -> str | None:
        """The partner whose figures this account sees; None: all of them (the agency)."""
        return self.partner if self.role == "partner" else None


class LoginRefused(LociError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, store: SqlStore, partners: Collection[str], *, clock: Callable[[], float] = time.time,
                 hasher: PasswordHasher | None = None) -> None:
        self._store = store
        self._partners = frozenset(partners)
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._failures: dict[str, deque[float]] = {}
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))  # verified for unknown names: same time

    async def add(self, name: str, password: str, role: str, partner: str | None = None) -> None:
        if not _NAME.match(name):
            raise LociError("a name is 2-80 letters, digits or . _ @ -")
        if role not in ROLES:
            raise LociError(f"a role is one of {', '.join(ROLES)}")
        if role == "partner" and partner not in self._partners:
            raise LociError("a partner account needs --partner, one of the partner ids of config/partners.yaml")
        if len(password) < MIN_PASSWORD:
            raise LociError(f"the password needs {MIN_PASSWORD} characters at least")
        await self._store.save_web_user(name, role, partner if role == "partner" else None,
                                        self._hasher.hash(password), self._clock())

    async def login(self, name: str, password: str, address: str) -> tuple[str, Account]:
        """A new session's token and account; ``LoginRefused`` (401 wrong, 429 too many failures)."""
        now = self._clock()
        keys = (f"ip:{address}", f"name:{name.lower()}")
        if any(self._recent(key, now) >= MAX_FAILURES for key in keys):
            raise LoginRefused("Too many failed attempts: wait 15 minutes and try again.", 429)
        user = await self._store.web_user(name)
        try:
            self._hasher.verify(user["password_hash"] if user else self._dummy, password)
            ok = user is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)
            raise LoginRefused("Wrong name or password.", 401)
        for key in keys:
            self._failures.pop(key, None)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        await self._store.open_web_session(token_hash(token), name, csrf, now + SESSION_HOURS * 3600)
        return token, Account(name, user["role"], user["partner"], csrf)

    async def session(self, token: str | None) -> Account | None:
        if not token:
            return None
        found = await self._store.web_session(token_hash(token), self._clock())
        return Account(found["name"], found["role"], found["partner"], found["csrf"]) if found else None

    async def logout(self, token: str) -> None:
        await self._store.close_web_session(token_hash(token), self._clock())

    def _recent(self, key: str, now: float) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        return len(times)

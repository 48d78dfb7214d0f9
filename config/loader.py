"""Reading and validating territory.yaml, partners.yaml, sources.yaml and the gazetteer."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from genius_loci.core.errors import ConfigError
from genius_loci.core.geo import BoundingBox, Gazetteer
from genius_loci.core.types import AUDIENCES, GeoPoint, Partner, Place, SourceSpec
from genius_loci.core.voice import Voice

from .settings import describe_validation_error

VOICE_KEYS = (
    "intro", "intro_other_language", "intro_translated", "more", "dont_know", "empty", "too_long", "no_words",
    "forgotten", "outside", "distance", "abusive", "medical", "legal", "off_topic",
    # messaging channels
    "welcome", "help", "audience_tourist", "audience_investor", "audience_resident", "audience_student",
    "audience_set", "language_set", "language_choices", "share_location", "need_location", "nearby_query", "nearby",
    "nearby_none", "nearby_more", "location_outside", "attachment", "thanks", "nothing_to_rate", "rate_prompt",
    "slow_down", "sources", "close_topic", "you_are_welcome",
    # voice notes
    "voice_heard", "voice_too_long", "voice_unreadable", "voice_unclear")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GeoModel(_Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


def _check_audiences(values: list[str]) -> list[str]:
    unknown = [a for a in values if a not in AUDIENCES]
    if unknown:
        raise ValueError(f"unknown audience(s) {unknown}; use {list(AUDIENCES)}")
    return values


class PartnerModel(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    url: str = Field(pattern=r"^https?://")
    audiences: list[str] = []
    languages: list[str] = []
    topics: list[str] = []
    default_for: list[str] = []
    slack_channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]+$")

    _aud = field_validator("audiences", "default_for")(_check_audiences)


class AgencyModel(_Model):
    name: str
    url: str = Field(pattern=r"^https?://")


class TerritoryModel(_Model):
    id: str
    name: str
    agency: AgencyModel
    languages: list[str] = Field(min_length=1)
    default_language: str
    bbox: tuple[float, float, float, float]
    gazetteer: str
    outside_places: str | None = None
    aliases: dict[str, str] = {}
    landmarks: dict[str, str] = {}  # places within a commune: "Luminy": Marseille
    whole_names: list[str] = []  # besides ``name``: names of the whole territory, which name none of its places
    voice: dict[str, Any]
    language_names: dict[str, dict[str, str]] = {}


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str) -> float:
    """Seconds in ``30m``, ``6h``, ``1d``, ``2w``."""
    match = _DURATION.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a duration such as 30m, 6h, 1d or 1w")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class SourceModel(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal["page", "sitemap", "feed", "pdf", "file", "opendata"]
    path: str | None = None
    url: str | None = Field(None, pattern=r"^https?://")
    owner: str | None = None
    audiences: list[str] = []
    languages: list[str] = []
    geo: GeoModel | None = None
    refresh: str = "1d"
    include: list[str] = []
    exclude: list[str] = []
    max_pages: int = Field(1000, ge=1, le=100_000)
    mapping: dict[str, str | list[str]] = {}

    _aud = field_validator("audiences")(_check_audiences)

    @field_validator("refresh")
    @classmethod
    def _refresh(cls, value: str) -> str:
        parse_duration(value)
        return value

    @field_validator("include", "exclude")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        for pattern in values:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
        return values


@dataclass(frozen=True, slots=True)
class Territory:
    """The validated territory, with core types ready to inject."""

    name: str
    agency: Partner
    voice: Voice
    bbox: BoundingBox
    places: tuple[Place, ...]
    aliases: dict[str, str]
    outside: tuple[Place, ...] = ()
    whole: tuple[str, ...] = ()  # the territory's own names ("Aix-Marseille-Provence", "Aix-Marseille")
    landmarks: dict[str, str] = field(default_factory=dict)  # places within a commune ("Luminy": "Marseille")

    def gazetteer(self) -> Gazetteer:
        """The territory's places by every name: communes, their other names, landmarks; places outside it."""
        return Gazetteer(self.places, self.aliases, self.outside, self.whole, self.landmarks)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc


def _validate(model: type[_Model], data: Any, path: Path, label: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, where=f" in {path}{label}")) from exc


def load_territory(path: Path) -> Territory:
    t: TerritoryModel = _validate(TerritoryModel, _read_yaml(path), path, "")
    if t.default_language not in t.languages:
        raise ConfigError(f"default_language {t.default_language!r} in {path} is not one of languages")
    phrases = {}
    for lang in t.languages:
        table = t.voice.get(lang)
        if not isinstance(table, dict):
            raise ConfigError(f"voice.{lang} is missing in {path}")
        missing = [k for k in VOICE_KEYS if k not in table]
        if missing:
            raise ConfigError(f"voice.{lang} in {path} lacks {', '.join(missing)}")
        phrases[lang] = {k: str(v) for k, v in table.items()}
    voice = Voice(phrases, t.default_language, str(t.voice.get("unsupported_language", "")), t.language_names)
    places = load_gazetteer(path.parent / t.gazetteer)
    outside = load_gazetteer(path.parent / t.outside_places) if t.outside_places else ()
    agency = Partner("agency", t.agency.name, t.agency.url, default_for=tuple(AUDIENCES))
    return Territory(t.name, agency, voice, BoundingBox(*t.bbox), places, dict(t.aliases), outside,
                     (t.name, *t.whole_names), dict(t.landmarks))


def load_gazetteer(path: Path) -> tuple[Place, ...]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return tuple(Place(r["name"], GeoPoint(float(r["lat"]), float(r["lon"])), r.get("insee", ""),
                               int(r.get("population") or 0)) for r in csv.DictReader(fh))
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"cannot read the gazetteer {path}: {exc}") from exc


def load_intents(path: Path) -> dict[str, list[str]]:
    """The needs and their words in each language (intents.yaml): ``{need: [word, ...]}``."""
    data = _read_yaml(path)
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(w, str) for w in v) for k, v in data.items()):
        raise ConfigError(f"{path} must map each need to a list of words")
    return {k: list(v) for k, v in data.items()}


def load_partners(path: Path) -> tuple[Partner, ...]:
    data = _read_yaml(path)
    if not isinstance(data, list):
        raise ConfigError(f"{path} must be a list of partners")
    partners = [_validate(PartnerModel, item, path, f" (entry {i + 1})") for i, item in enumerate(data)]
    ids = [p.id for p in partners]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"duplicate partner ids in {path}")
    return tuple(Partner(p.id, p.name, p.url, tuple(p.audiences), tuple(p.languages), tuple(p.topics),
                         tuple(p.default_for), p.slack_channel) for p in partners)


def load_sources(path: Path, partner_ids: set[str]) -> tuple[SourceSpec, ...]:
    data = _read_yaml(path)
    if not isinstance(data, list):
        raise ConfigError(f"{path} must be a list of sources")
    specs = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        s: SourceModel = _validate(SourceModel, item, path, f" (entry {i + 1})")
        if s.id in seen:
            raise ConfigError(f"duplicate source id {s.id!r} in {path}")
        seen.add(s.id)
        if s.owner is not None and s.owner not in partner_ids:
            raise ConfigError(f"source {s.id!r} in {path}: owner {s.owner!r} is not a partner id")
        if s.kind == "file" and not s.path:
            raise ConfigError(f"source {s.id!r} in {path}: a file source needs a path")
        if not s.path and not s.url:
            raise ConfigError(f"source {s.id!r} in {path}: give a url (or a path for local files)")
        if s.kind == "opendata" and "title" not in s.mapping:
            raise ConfigError(f"source {s.id!r} in {path}: an opendata source needs mapping.title")
        location = str((path.parent / s.path).resolve()) if s.path else str(s.url)
        specs.append(SourceSpec(
            s.id, s.kind, location, s.url or location, s.owner, tuple(s.audiences), tuple(s.languages),
            GeoPoint(s.geo.lat, s.geo.lon) if s.geo else None, parse_duration(s.refresh), tuple(s.include),
            tuple(s.exclude), s.max_pages, dict(s.mapping)))
    return tuple(specs)

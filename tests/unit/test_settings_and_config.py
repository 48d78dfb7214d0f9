from pathlib import Path

import pytest

from genius_loci.config.loader import load_partners, load_sources, load_territory
from genius_loci.config.settings import load_settings
from genius_loci.core.errors import ConfigError

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_defaults_and_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LOCI_SETTINGS_FILE", raising=False)
    monkeypatch.setenv("LOCI_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("LOCI_MIN_CONFIDENCE", "0.6")
    s = load_settings()
    assert s.data_dir == tmp_path / "d"
    assert s.index_path == tmp_path / "d" / "index.sqlite"
    assert s.min_confidence == 0.6
    assert s.config_path("partners") == CONFIG / "partners.yaml"


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCI_MIN_CONFIDENCE", "lots")
    with pytest.raises(ConfigError, match=r"LOCI_MIN_CONFIDENCE \(min_confidence\)"):
        load_settings()


def test_yaml_settings_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    f = tmp_path / "loci.yaml"
    f.write_text("search_k: 12\nlog_level: INFO\n")
    monkeypatch.setenv("LOCI_SETTINGS_FILE", str(f))
    s = load_settings()
    assert (s.search_k, s.log_level) == (12, "INFO")
    f.write_text("serach_k: 12\n")
    with pytest.raises(ConfigError, match="serach_k"):
        load_settings()
    monkeypatch.setenv("LOCI_SETTINGS_FILE", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_bundled_territory() -> None:
    t = load_territory(CONFIG / "territory.yaml")
    assert t.name == "Aix-Marseille-Provence"
    assert set(t.voice.languages) == {"fr", "en", "es", "it", "de"}
    assert len(t.places) == 92
    assert all(t.bbox.contains(p.geo) for p in t.places)


def test_bundled_sample_corpus_is_complete() -> None:
    partners = load_partners(CONFIG / "partners.yaml")
    sources = load_sources(CONFIG / "sources.yaml", {p.id for p in partners})
    assert len(sources) >= 60
    assert all(Path(s.location).is_file() for s in sources)
    assert {lang for s in sources for lang in s.languages} == {"fr", "en"}
    assert {a for s in sources for a in s.audiences} == {"tourist", "investor", "resident", "student"}
    assert sum(s.geo is not None for s in sources) >= 40


def test_source_with_unknown_owner_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "sources.yaml"
    f.write_text("- {id: a, kind: file, path: a.md, url: 'https://x.org', owner: nobody}\n")
    with pytest.raises(ConfigError, match="'nobody' is not a partner id"):
        load_sources(f, {"port"})
    f.write_text("- {id: a, kind: file, path: a.md, url: 'https://x.org', audiences: [aliens]}\n")
    with pytest.raises(ConfigError, match="unknown audience"):
        load_sources(f, set())
    f.write_text("- {id: a, kind: file, path: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_sources(f, set())

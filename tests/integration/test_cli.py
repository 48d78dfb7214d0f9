"""The ``loci`` command as a user runs it: real process, real files, JSON contracts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from genius_loci.bots.bootstrap import Runtime

LOCI = str(Path(sys.executable).with_name("loci"))


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOCI_DATA_DIR": str(data_dir)}
    env.pop("LOCI_SETTINGS_FILE", None)
    return subprocess.run([LOCI, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def test_ask_json_contract(runtime: Runtime, data_dir: Path) -> None:
    proc = run(data_dir, "ask", "Qui a inventé la pétanque ?", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"answer", "language", "confidence", "citations", "redirect", "timings_ms"} <= set(out)
    assert out["language"] == "fr" and 0.0 <= out["confidence"] <= 1.0
    assert out["citations"] and set(out["citations"][0]) == {"n", "title", "url"}
    assert out["citations"][0]["n"] == 1 and out["citations"][0]["url"].startswith("https://")
    assert set(out["redirect"]) >= {"partner", "url"}
    assert out["timings_ms"]["total"] > 0


@pytest.mark.parametrize(("question", "needle"), [
    ("", "Posez-moi une question"),
    ("🙂🙂🙂", "aucun mot"),
    ("b" * 20_000, "trop long"),
    ("Что посмотреть в Марселе летом?", "I answer in French"),
])
def test_bad_questions_get_clear_messages_not_tracebacks(runtime: Runtime, data_dir: Path, question: str,
                                                         needle: str) -> None:
    proc = run(data_dir, "ask", question)
    assert proc.returncode == 0
    assert needle in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_corrupt_index_gets_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "index.sqlite").write_bytes(b"\x00garbage" * 512)
    proc = run(tmp_path, "ask", "bonjour")
    assert proc.returncode == 1
    assert "cannot be read" in proc.stderr and "loci ingest --rebuild" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_setting_gets_a_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "LOCI_DATA_DIR": str(tmp_path), "LOCI_SEARCH_K": "many"}
    proc = subprocess.run([LOCI, "ask", "x"], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 1 and "LOCI_SEARCH_K" in proc.stderr and "Traceback" not in proc.stderr


def test_ingest_again_changes_nothing(runtime: Runtime, data_dir: Path) -> None:
    proc = run(data_dir, "ingest", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["added"] == report["updated"] == report["removed"] == 0
    assert report["unchanged"] >= 60


def _beir(tmp_path: Path, runtime: Runtime) -> tuple[Path, Path, Path, int]:
    """A BEIR-format set made from the sample corpus and its labelled questions."""
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for s in runtime.sources:
            title, _, body = Path(s.location).read_text(encoding="utf-8").partition("\n")
            fh.write(json.dumps({"_id": s.id, "title": title.removeprefix("# "), "text": body.strip()}) + "\n")
    questions = yaml.safe_load((Path(__file__).resolve().parents[1] / "eval" / "questions.yaml").read_text())
    answerable = [q for q in questions if q["expect"] != "none"]
    queries, qrels = tmp_path / "queries.jsonl", tmp_path / "qrels.tsv"
    with queries.open("w", encoding="utf-8") as qf, qrels.open("w", encoding="utf-8") as rf:
        rf.write("query-id\tcorpus-id\tscore\n")
        for i, q in enumerate(answerable):
            qf.write(json.dumps({"_id": f"q{i}", "text": q["q"]}) + "\n")
            for sid in q["expect"]:
                rf.write(f"q{i}\t{sid}\t1\n")
    return corpus, queries, qrels, len(answerable)


def test_eval_retrieval_json_contract_and_cache(runtime: Runtime, data_dir: Path, tmp_path: Path) -> None:
    corpus, queries, qrels, n = _beir(tmp_path, runtime)
    args = ("eval", "retrieval", "--corpus", str(corpus), "--queries", str(queries), "--qrels", str(qrels), "--json")
    proc = run(data_dir, *args)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["n_queries"] == n
    assert set(result["methods"]) == {"bm25", "dense", "hybrid"}
    for metrics in result["methods"].values():
        assert set(metrics) == {"R@1", "R@5", "R@10", "MRR@10", "ms_per_query"}
        assert 0.0 <= metrics["R@1"] <= metrics["R@5"] <= metrics["R@10"] <= 1.0
    assert result["methods"]["hybrid"]["R@5"] >= 0.9
    assert result["methods"]["hybrid"]["R@5"] >= result["methods"]["bm25"]["R@5"]


async def test_evaluating_twice_does_not_reembed_the_corpus(runtime: Runtime, tmp_path: Path) -> None:
    from genius_loci.bots.evaluate import evaluate_retrieval, load_beir
    from genius_loci.connectors.language.lingua_detector import LinguaDetector

    corpus, queries, qrels, n = _beir(tmp_path, runtime)
    data = load_beir(corpus, queries, qrels)
    kwargs = {"embedder": runtime.embedder, "detector": LinguaDetector(["fr", "en", "es", "it", "de"]),
              "languages": ("fr", "en", "es", "it", "de"), "default_language": "fr"}
    await evaluate_retrieval(data, **kwargs)  # type: ignore[arg-type]
    before = runtime.embedder.computed
    await evaluate_retrieval(data, **kwargs)  # type: ignore[arg-type]
    assert runtime.embedder.computed - before == n  # only the questions, never the corpus


def test_eval_rejects_a_malformed_file(tmp_path: Path) -> None:
    bad = tmp_path / "corpus.jsonl"
    bad.write_text('{"_id": "a", "text": "ok"}\nnot json\n')
    (tmp_path / "q.jsonl").write_text("")
    (tmp_path / "r.tsv").write_text("")
    proc = run(tmp_path, "eval", "retrieval", "--corpus", str(bad), "--queries", str(tmp_path / "q.jsonl"),
               "--qrels", str(tmp_path / "r.tsv"))
    assert proc.returncode == 1 and "line 2: not JSON" in proc.stderr


def test_ingest_one_source_dry_run(runtime: Runtime, data_dir: Path) -> None:
    proc = run(data_dir, "ingest", "--source", "agenda", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["dry_run"] is True and report["ok_ids"] == ["agenda"]
    assert report["removed"] == 0  # other sources are left alone
    unknown = run(data_dir, "ingest", "--source", "nope")
    assert unknown.returncode == 1 and "no source with id nope" in unknown.stderr


def test_sources_check(tmp_path: Path) -> None:
    ok = run(tmp_path, "sources", "check", "--sources", str(Path(__file__).resolve().parents[2] / "config"
                                                              / "sources.example.yaml"))
    assert ok.returncode == 0 and "500 sources are valid" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {id: x, kind: sitemap, url: 'ftp://nope', refresh: soon}\n")
    proc = run(tmp_path, "sources", "check", "--sources", str(bad))
    assert proc.returncode == 1
    assert "url" in proc.stderr and "'soon' is not a duration" in proc.stderr and "Traceback" not in proc.stderr


def test_eval_answers_json_contract(runtime: Runtime, data_dir: Path, tmp_path: Path) -> None:
    corpus, _, _, _ = _beir(tmp_path, runtime)
    queries = tmp_path / "with_answers.jsonl"
    rows = [{"_id": "a1", "text": "En quelle année Paul Cézanne est-il né ?", "answers": ["1839"]},
            {"_id": "a2", "text": "When was the Calanques National Park created?", "answers": ["2012"]},
            {"_id": "a3", "text": "What is the capital of Australia?", "answers": ["Canberra"], "language": "en"},
            {"_id": "a4", "text": "No gold answer here", "answers": []}]
    queries.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    proc = run(data_dir, "eval", "answers", "--corpus", str(corpus), "--queries", str(queries), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["n_questions"] == 3
    m = result["answerers"]["extractive"]
    assert set(m) == {"gold_contained", "citation_valid", "language_match", "abstain_rate", "fallback_rate",
                      "ms_per_question", "ms_median", "ms_p95", "mean_chars", "median_chars"}
    assert abs(m["gold_contained"] - 2 / 3) < 1e-3 and abs(m["abstain_rate"] - 1 / 3) < 1e-3
    assert m["citation_valid"] == 1.0 and m["language_match"] == 1.0 and m["mean_chars"] > 20

    qrels = tmp_path / "gold.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\na1\tcezanne-fr\t1\na1\tcezanne-en\t1\n"
                     "a2\tcalanques-park-fr\t1\na2\tcalanques-park-en\t1\n", encoding="utf-8")
    hidden = run(data_dir, "eval", "answers", "--corpus", str(corpus), "--queries", str(queries), "--qrels",
                 str(qrels), "--hide-gold", "0.99", "--json")
    assert hidden.returncode == 0, hidden.stderr
    h = json.loads(hidden.stdout)["answerers"]["extractive"]
    assert h["unanswerable"]["n"] == 2 and h["answerable"]["n"] == 1  # a3 has no gold passage to hide
    assert set(h["answerable"]) == {"n", "abstain_rate", "gold_contained"} and 0.0 <= h["auroc"] <= 1.0
    assert 0.0 <= h["ece"] <= 1.0
    refused = run(data_dir, "eval", "answers", "--corpus", str(corpus), "--queries", str(queries), "--hide-gold",
                  "0.5")
    assert refused.returncode == 1 and "--qrels" in refused.stderr


def test_eval_answers_side_by_side_with_an_openai_compatible_model(runtime: Runtime, data_dir: Path,
                                                                   tmp_path: Path) -> None:
    from tests.fake_openai import FakeChatServer

    corpus, _, _, _ = _beir(tmp_path, runtime)
    queries = tmp_path / "q.jsonl"
    rows = [{"_id": "a1", "text": "En quelle année Paul Cézanne est-il né ?", "answers": ["1839"]},
            {"_id": "a2", "text": "When was the Calanques National Park created?", "answers": ["2012"]},
            {"_id": "a3", "text": "What is the capital of Australia?", "answers": ["Canberra"]}]
    queries.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    server = FakeChatServer()
    server.reply = "Paul Cézanne est né à Aix-en-Provence en 1839 [1]."
    try:
        env = {**os.environ, "LOCI_DATA_DIR": str(data_dir), "LOCI_LLM_BASE_URL": server.base_url,
               "LOCI_LLM_MODEL": "fake-model", "LOCI_LLM_API_KEY": "test-key-not-secret"}
        proc = subprocess.run([LOCI, "eval", "answers", "--corpus", str(corpus), "--queries", str(queries),
                               "--answerers", "extractive,llm", "--json"], capture_output=True, text=True, env=env,
                              timeout=300, check=False)
    finally:
        server.close()
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["answerers"]
    assert set(result) == {"extractive", "llm"}
    assert abs(result["llm"]["gold_contained"] - 1 / 3) < 1e-3 and result["llm"]["citation_valid"] == 1.0
    assert abs(result["extractive"]["gold_contained"] - 2 / 3) < 1e-3
    assert len(server.requests) == 2  # the unanswerable question never reached the model
    assert "test-key-not-secret" not in proc.stderr


def test_with_a_model_configured_a_foreign_question_is_searched_and_quoted_translated(runtime: Runtime,
                                                                                      data_dir: Path) -> None:
    from tests.fake_openai import FakeChatServer

    question = "Wie komme ich vom Flughafen nach Aix?"
    server = FakeChatServer()  # a translation it was not told is given back as it came
    server.translations[question] = "Comment aller de l'aéroport à Aix ?"
    try:
        env = {**os.environ, "LOCI_DATA_DIR": str(data_dir), "LOCI_LLM_BASE_URL": server.base_url,
               "LOCI_LLM_MODEL": "fake-model", "LOCI_LLM_MAX_RETRIES": "0"}
        proc = subprocess.run([LOCI, "ask", question, "--json"], capture_output=True, text=True, env=env,
                              timeout=300, check=False)
        asked = len(server.translation_requests)
        off = subprocess.run([LOCI, "ask", question, "--json"], capture_output=True, text=True,
                             env={**env, "LOCI_TRANSLATE": "false"}, timeout=300, check=False)
    finally:
        server.close()
    assert proc.returncode == 0 and off.returncode == 0, proc.stderr + off.stderr
    out, before = json.loads(proc.stdout), json.loads(off.stdout)
    assert out["answerer"] == "extractive" and out["language"] == "de" and not server.requests
    systems = [r["messages"][0]["content"] for r in server.translation_requests]
    assert "from German into French" in systems[0] and question in server.translation_requests[0]["messages"][1][
        "content"]
    assert out["answer"].startswith("Das sagen unsere Quellen (maschinell übersetzt, Original auf ")
    assert any("into German" in s for s in systems[1:])  # the quotes
    assert out["citations"] and all(c["url"].startswith("https://") for c in out["citations"])
    assert before["answer"].startswith("Das sagen unsere Quellen (auf ")
    assert asked >= 2 and len(server.translation_requests) == asked  # LOCI_TRANSLATE=false asked nothing


def test_llm_answerer_needs_its_settings(tmp_path: Path) -> None:
    env = {**os.environ, "LOCI_DATA_DIR": str(tmp_path), "LOCI_ANSWERER": "llm"}
    env.pop("LOCI_LLM_BASE_URL", None)
    proc = subprocess.run([LOCI, "ask", "bonjour"], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert proc.returncode == 1 and "LOCI_LLM_BASE_URL" in proc.stderr and "Traceback" not in proc.stderr


def test_eval_conversations_json_contract(runtime: Runtime, data_dir: Path, tmp_path: Path) -> None:
    script = tmp_path / "conversations.yaml"
    script.write_text(yaml.safe_dump([
        {"id": "a", "part": "tune", "audience": "tourist", "turns": [
            {"say": "Où se baigner à Marseille ?", "lang": "fr",
             "expect": ["prado-beaches-fr", "marseille-beaches-en"]},
            {"say": "Et à Cassis ?", "lang": "fr", "expect": ["cassis-fr", "cassis-en"], "follow": True},
            {"say": "What is the capital of Australia?", "lang": "en", "expect": "none"}]},
        {"id": "b", "part": "held-out", "turns": [
            {"share": [43.2951, 5.3740]},
            {"say": "merci", "lang": "fr", "expect": "chat"}]},
    ], allow_unicode=True), encoding="utf-8")
    proc = run(data_dir, "eval", "conversations", "--script", str(script), "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert {"n_turns", "right_source", "right_language", "abstained_when_unanswerable",
            "carried_over_wrongly"} <= set(result)
    assert result["n_turns"] == 4 and result["n_conversations"] == 2 and set(result["parts"]) == {"tune", "held-out"}
    assert result["abstained_when_unanswerable"] == 1.0 and result["right_language"] == 1.0
    assert result["follow_ups_completed"] == 1.0 and result["carried_over_wrongly"] == 0.0
    held_out = run(data_dir, "eval", "conversations", "--script", str(script), "--part", "held-out", "--json")
    assert json.loads(held_out.stdout)["n_turns"] == 1
    script.write_text("- id: broken\n  turns: [{say: hello}]\n", encoding="utf-8")
    bad = run(data_dir, "eval", "conversations", "--script", str(script), "--json")
    assert bad.returncode == 1 and "needs say, lang and expect" in bad.stderr

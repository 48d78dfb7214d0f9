from genius_loci.core.answering.citations import resolve_citations
from genius_loci.core.retrieval.confidence import ConfidenceModel
from genius_loci.core.retrieval.fusion import weighted_zscore, zscores
from genius_loci.core.types import Hit, Passage, Query


def _p(pid: str, owner: str | None = None) -> Passage:
    return Passage(pid, pid, f"title {pid}", f"text {pid}", f"https://example.org/{pid}", "fr", owner)


def _hits(*ids: str, method: str) -> list[Hit]:
    return [Hit(_p(i), 10.0 - n, {method: 10.0 - n}) for n, i in enumerate(ids)]


def test_zscore_fusion_rewards_agreement_and_keeps_each_retrievers_rank() -> None:
    fused = weighted_zscore({"bm25": _hits("a", "b", "c", method="bm25"),
                             "dense": _hits("b", "d", "a", method="dense")}, lambda m, p: 0.5)
    assert [h.passage.id for h in fused][:2] == ["b", "a"]
    b = fused[0]
    assert b.ranks == {"bm25": 2, "dense": 1}
    assert b.scores == {"bm25": 9.0, "dense": 10.0}
    assert {h.passage.id for h in fused} == {"a", "b", "c", "d"}


def test_zscores_are_centred_and_scaled() -> None:
    z = zscores(_hits("a", "b", "c", method="bm25"))
    assert z["b"] == 0.0 and z["a"] == -z["c"] and abs(z["a"] - 1.2247) < 1e-3
    assert zscores([]) == {}


def test_weights_let_one_retriever_dominate_per_passage() -> None:
    lists = {"bm25": _hits("a", "b", method="bm25"), "dense": _hits("b", "a", method="dense")}
    assert weighted_zscore(lists, lambda m, p: 0.1 if m == "bm25" else 0.9)[0].passage.id == "b"
    assert weighted_zscore(lists, lambda m, p: 0.9 if m == "bm25" else 0.1)[0].passage.id == "a"


def test_citations_are_renumbered_in_order_of_use_and_out_of_range_dropped() -> None:
    hits = [Hit(_p(x), 1.0) for x in ("a", "b", "c")]
    text, citations, cited = resolve_citations("First [3]. Second [1]. Bogus [7]. Again [3].", hits)
    assert text == "First [1]. Second [2]. Bogus. Again [1]."
    assert [c.n for c in citations] == [1, 2]
    assert [c.passage_id for c in citations] == ["c", "a"]
    assert [h.passage.id for h in cited] == ["c", "a"]
    assert citations[0].url == "https://example.org/c"


def test_citations_none_when_no_marker() -> None:
    text, citations, cited = resolve_citations("No marker here.", [Hit(_p("a"), 1.0)])
    assert citations == () and cited == [] and text == "No marker here."


async def test_confidence_rises_with_similarity_and_agreement() -> None:
    model = ConfidenceModel()
    low = Hit(_p("a"), 1.0, {"dense": 0.76}, {"dense": 1})
    high = Hit(_p("a"), 1.0, {"dense": 0.86}, {"dense": 1})
    agreed = Hit(_p("a"), 1.0, {"dense": 0.80, "bm25": 3.0}, {"dense": 1, "bm25": 1})
    alone = Hit(_p("a"), 1.0, {"dense": 0.80}, {"dense": 1})
    q = Query("q", "fr")
    assert await model(q, [low]) < 0.1 < 0.9 < await model(q, [high])
    assert await model(q, [agreed]) > await model(q, [alone])
    assert await model(q, []) == 0.0
    assert await model(q, [Hit(_p("a"), 1.0, {"bm25": 5.0}, {"bm25": 1})]) == 0.0

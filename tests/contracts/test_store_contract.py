"""The contract every ``Store`` adapter meets (SQLite file, PostgreSQL)."""

from __future__ import annotations

import asyncio

from genius_loci.core.types import Answer, Citation, GeoPoint, Profile, Redirect, Turn


def _answer(text: str = "Voici [1]") -> Answer:
    return Answer(text, "fr", 0.9, "answered", (Citation(1, "Titre", "https://t.example", "doc#0"),),
                  Redirect("port", "Port", "https://port.example"), "extractive", {"total": 12.5}, "tourist")


def _turn(tid: str, user: str = "web:u1", at: float = 1000.0) -> Turn:
    return Turn(tid, user, "web", "Question ?", _answer(), 12.5, at)


async def test_profile_roundtrip_and_default(store) -> None:  # type: ignore[no-untyped-def]
    assert await store.load_profile("web:nobody", "web") == Profile("web:nobody", "web")
    p = Profile("web:u1", "web", "de", "investor", GeoPoint(43.3, 5.4), 123.0)
    await store.save_profile(p)
    assert await store.load_profile("web:u1", "web") == p
    await store.save_profile(Profile("web:u1", "web", "en"))
    assert (await store.load_profile("web:u1", "web")).language == "en"


async def test_turns_are_stored_once_and_read_back_whole(store) -> None:  # type: ignore[no-untyped-def]
    assert await store.record_turn(_turn("web:m1")) is True
    assert await store.record_turn(_turn("web:m1")) is False
    got = await store.turn("web:m1")
    assert got == _turn("web:m1")
    assert await store.turn("web:missing") is None


async def test_concurrent_records_of_one_turn_store_one(store) -> None:  # type: ignore[no-untyped-def]
    results = await asyncio.gather(*(store.record_turn(_turn("web:m9")) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_recent_turns_newest_first(store) -> None:  # type: ignore[no-untyped-def]
    for i in range(5):
        await store.record_turn(_turn(f"web:m{i}", at=1000.0 + i))
    await store.record_turn(_turn("web:other", user="web:u2", at=2000.0))
    recent = await store.recent_turns("web:u1", 3)
    assert [t.id for t in recent] == ["web:m4", "web:m3", "web:m2"]


async def test_forget_erases_everything_of_one_person(store) -> None:  # type: ignore[no-untyped-def]
    await store.save_profile(Profile("web:u1", "web", "fr"))
    await store.record_turn(_turn("web:m1"))
    await store.record_feedback("web:m1", "web:u1", 1, "merci")
    await store.record_redirect("web:m1", "web:u1", "port", "https://port.example")
    await store.record_turn(_turn("web:m2", user="web:u2"))
    exported = await store.export("web:u1")
    assert exported["profile"]["language"] == "fr"
    assert [t["id"] for t in exported["turns"]] == ["web:m1"]
    assert exported["feedback"][0]["comment"] == "merci"
    assert exported["redirects"][0]["partner"] == "port"
    assert await store.forget("web:u1") == 4
    empty = await store.export("web:u1")
    assert empty["profile"] is None and empty["turns"] == empty["feedback"] == empty["redirects"] == []
    assert await store.turn("web:m2") is not None


async def test_retention_purges_old_turns_only(store) -> None:  # type: ignore[no-untyped-def]
    await store.record_turn(_turn("web:old", at=100.0))
    await store.record_turn(_turn("web:new", at=5000.0))
    assert await store.purge_turns_before(1000.0) == 1
    assert await store.turn("web:old") is None and await store.turn("web:new") is not None


async def test_ingestion_state_keeps_the_last_run_of_each_source(store) -> None:  # type: ignore[no-untyped-def]
    from genius_loci.core.ingestion import IngestReport

    await store.record_ingestion(IngestReport(sources_ok=2, ok_ids=["a", "b"]), 100.0)
    await store.record_ingestion(IngestReport(sources_ok=1, ok_ids=["a"], sources_failed={"b": "HTTP 500"}), 200.0)
    assert await store.ingestion_state() == {"a": (200.0, "ok", ""), "b": (200.0, "failed", "HTTP 500")}


async def test_gaps_are_kept_filed_once_listed_and_erased_with_the_person(store) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from genius_loci.core.gaps import Gap, GapQuestion

    big = Gap("g1", "open", "port", np.array([0.6, 0.8], dtype=np.float32), 2, 0, 1000.0, 3000.0)
    small = Gap("g2", "open", "crous", np.array([1.0, 0.0], dtype=np.float32), 1, 0, 1500.0, 1500.0)
    for gap in (big, small):
        await store.save_gap(gap)
    asked = [GapQuestion("web:q1", "web:u1", "Prix du ferry ?", "fr", "tourist", "web", "Marseille", "abstained",
                         1000.0),
             GapQuestion("telegram:q2", "telegram:u2", "Ferry price?", "en", None, "telegram", None, "thumbs_down",
                         3000.0)]
    assert await store.add_gap_question("g1", asked[0]) is True
    assert await store.add_gap_question("g1", asked[0]) is False  # one turn is filed once
    assert await store.add_gap_question("g1", asked[1]) is True
    assert await store.add_gap_question("g2", GapQuestion("web:q3", "web:u3", "Loyer ?", "fr", None, "web", None,
                                                          "abstained", 1500.0)) is True
    assert sorted(g.id for g in await store.open_gaps()) == ["g1", "g2"]
    listed = await store.list_gaps()
    assert [g.id for g, _ in listed] == ["g1", "g2"]  # largest first
    got = listed[0][0]
    assert (got.id, got.partner, got.count, got.first_seen, got.last_seen) == ("g1", "port", 2, 1000.0, 3000.0)
    assert np.allclose(got.centroid, big.centroid) and sorted(q.turn_id for q in listed[0][1]) == [
        "telegram:q2", "web:q1"]
    assert [g.id for g, _ in await store.list_gaps(partner="crous")] == ["g2"]
    assert [g.id for g, _ in await store.list_gaps(since=2000.0)] == ["g1"]
    await store.save_gap(Gap("g2", "closed", "crous", small.centroid, 1, 3, 1500.0, 1500.0))
    assert [g.id for g in await store.open_gaps()] == ["g1"]
    assert (await store.export("web:u1"))["gap_questions"][0]["question"] == "Prix du ferry ?"
    await store.forget("web:u1")
    assert [q.turn_id for q in (await store.list_gaps())[0][1]] == ["telegram:q2"]


async def test_votes_come_with_the_voted_turn_and_since_a_time(store) -> None:  # type: ignore[no-untyped-def]
    await store.record_turn(_turn("web:m1"))
    await store.record_feedback("web:m1", "web:u7", 1)
    await store.record_feedback("web:m1", "web:u8", -1)
    votes = await store.votes()
    assert [(v.user_key, v.value, v.passages, q) for v, q in votes] == [
        ("web:u7", 1, ("doc#0",), "Question ?"), ("web:u8", -1, ("doc#0",), "Question ?")]
    assert await store.votes(votes[-1][0].at) == []  # nothing after the latest
    assert len(await store.votes(votes[0][0].at - 0.001)) == 2

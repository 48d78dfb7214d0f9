"""The learning loop's and the dashboard's tables on every store (SQLite file, PostgreSQL): lessons with their
audit trail and revision, once-per-period jobs, redirect counts, dashboard accounts and sessions, the facts the
figures are made of, and erasure/export of a partner's lessons."""

from __future__ import annotations

from genius_loci.core.teaching import Lesson, LessonChange
from genius_loci.core.types import GeoPoint, Profile

from .test_store_contract import _turn


def _lesson(status: str = "pending", at: float = 100.0) -> Lesson:
    return Lesson("l1", status, "port", "Où est la laverie ?", "Rue de la Loge.", "https://port.example/l", None,
                  None, "slack:alice", None if status == "pending" else "slack:bob", 50.0, at)


async def test_lessons_audit_revision_and_erasure(store) -> None:  # type: ignore[no-untyped-def]
    empty = await store.lessons_revision()
    await store.save_lesson(_lesson(), LessonChange("l1", "slack:alice", "proposed", None, _lesson().to_dict(), 50.0))
    first = await store.lessons_revision()
    approved = _lesson("approved", 120.0)
    await store.save_lesson(approved, LessonChange("l1", "slack:bob", "approved", _lesson().to_dict(),
                                                   approved.to_dict(), 120.0))
    assert len({empty, first, await store.lessons_revision()}) == 3
    assert await store.lesson("l1") == approved and await store.lesson("nope") is None
    assert [x.id for x in await store.lessons("approved")] == ["l1"] and await store.lessons("pending") == []
    changes = await store.lesson_changes("l1")
    assert [(c.actor, c.action) for c in changes] == [("slack:alice", "proposed"), ("slack:bob", "approved")]
    assert changes[1].before == _lesson().to_dict()
    exported = await store.export("slack:bob")
    assert [x["id"] for x in exported["lessons"]] == ["l1"] and len(exported["lesson_changes"]) == 1
    await store.forget("slack:bob")
    kept = await store.lesson("l1")
    assert kept is not None and kept.reviewer == "erased" and kept.answer == "Rue de la Loge."


async def test_a_job_is_claimed_once_per_period(store) -> None:  # type: ignore[no-untyped-def]
    assert await store.claim_job("digest", 1000.0, 600.0)
    assert not await store.claim_job("digest", 1100.0, 600.0)
    assert await store.claim_job("digest", 1700.0, 600.0)


async def test_figures_accounts_and_sessions(store) -> None:  # type: ignore[no-untyped-def]
    await store.record_turn(_turn("web:a", at=1000.0))
    await store.record_turn(_turn("web:b", "web:u2", at=1010.0))
    await store.record_feedback("web:a", "web:u1", -1)
    await store.record_redirect("web:a", "web:u1", "port", "https://port.example")
    await store.save_profile(Profile("web:u1", "web", location=GeoPoint(43.3, 5.4), location_at=2000.0))
    facts = await store.turn_facts(0.0)
    assert [(f.channel, f.partner, f.status) for f in facts] == [("web", "port", "answered")] * 2
    assert await store.turn_facts(0.0, "crous") == []
    assert [v.value for v in await store.vote_facts(0.0, "port")] == [-1]
    assert await store.followed(0.0) == {"port": 1}
    assert await store.shared_locations(1500.0) == [GeoPoint(43.3, 5.4)]

    await store.save_web_user("ops", "admin", None, "$argon2id$x", 1.0)
    await store.save_web_user("ops", "partner", "port", "$argon2id$y", 2.0)  # again: role and hash replaced
    assert await store.web_users() == [{"name": "ops", "role": "partner", "partner": "port", "created_at": 1.0}]
    await store.open_web_session("h1", "ops", "csrf1", 500.0)
    assert await store.web_session("h1", 100.0) == {"csrf": "csrf1", "name": "ops", "role": "partner",
                                                     "partner": "port"}
    assert await store.web_session("h1", 600.0) is None  # expired
    assert await store.remove_web_user("ops") and await store.web_session("h1", 100.0) is None

"""The partners' side of the learning loop in Slack, as Block Kit: the "teach" modal and what it submits, the
review request with its Approve / Reject buttons and its outcome, and the digest of a partner's content gaps.
Pure functions of lessons, digests and Bolt's bodies."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genius_loci.core.digest import Digest
from genius_loci.core.teaching import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, Lesson
from genius_loci.core.types import Partner

from .render import escape

TEACH = "loci_teach"  # under a gap of a digest
MODAL = "loci_teach_modal"  # the modal's callback id
APPROVE, REJECT, WITHDRAW = "loci_lesson_approve", "loci_lesson_reject", "loci_lesson_withdraw"
FIELDS = ("question", "answer", "url", "partner")  # the modal's input blocks, named as TeachingError.field
_OUTCOME = {"approved": "✅ Approved", "rejected": "❌ Rejected", "withdrawn": "🗑️ Withdrawn"}


@dataclass(frozen=True, slots=True)
class Submission:
    question: str
    answer: str
    url: str
    partner: str | None
    gap_id: str | None
    turn_id: str | None
    user: str  # the Slack user who submitted


def teach_modal(question: str, partner: str | None, partners: Sequence[Partner], *, gap_id: str | None = None,
                turn_id: str | None = None) -> dict[str, Any]:
    """The modal a partner writes an answer in: the question (prefilled), the answer, the link, the partner."""
    def option(p: Partner) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": p.name[:75]}, "value": p.id}

    select: dict[str, Any] = {"type": "static_select", "action_id": "value",
                              "options": [option(p) for p in partners[:100]]}
    chosen = next((p for p in partners if p.id == partner), None)
    if chosen is not None:
        select["initial_option"] = option(chosen)
    return {
        "type": "modal", "callback_id": MODAL,
        "private_metadata": json.dumps({"gap": gap_id, "turn": turn_id}),
        "title": {"type": "plain_text", "text": "Teach the assistant"},
        "submit": {"type": "plain_text", "text": "Send for review"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("question", "The question it answers",
                   {"type": "plain_text_input", "action_id": "value", "max_length": MAX_QUESTION_CHARS,
                    **({"initial_value": question[:MAX_QUESTION_CHARS]} if question else {})}),
            _input("answer", "Your answer, in your own words",
                   {"type": "plain_text_input", "action_id": "value", "multiline": True,
                    "max_length": MAX_ANSWER_CHARS}),
            _input("url", "The page to cite (https://…)", {"type": "url_text_input", "action_id": "value"}),
            _input("partner", "On behalf of", select),
        ],
    }


def _input(block_id: str, label: str, element: dict[str, Any]) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
            "element": element}


def read_submission(body: Mapping[str, Any]) -> Submission:
    """What a ``view_submission`` of the modal holds."""
    view = body.get("view") or {}
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> str:
        field = (values.get(block) or {}).get("value") or {}
        if field.get("type") == "static_select":
            return str((field.get("selected_option") or {}).get("value") or "")
        return str(field.get("value") or "")

    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    return Submission(value("question"), value("answer"), value("url"), value("partner") or None,
                      meta.get("gap") or None, meta.get("turn") or None, str((body.get("user") or {}).get("id", "")))


def review_request(lesson: Lesson, author: str) -> tuple[str, list[dict[str, Any]]]:
    """The message reviewers approve or reject a lesson from."""
    text = f"New answer to review from {lesson.partner}: {lesson.question}"
    return escape(text), [
        _lesson_section(lesson, f"*New answer to review* — from <@{author}> for *{escape(lesson.partner)}*"),
        {"type": "actions", "block_id": f"review-{lesson.id}", "elements": [
            _button(APPROVE, "Approve", lesson.id, "primary"), _button(REJECT, "Reject", lesson.id, "danger")]},
    ]


def review_outcome(lesson: Lesson, reviewer: str) -> tuple[str, list[dict[str, Any]]]:
    """The review request once decided: who decided, and (approved) a button to withdraw it later."""
    outcome = f"{_OUTCOME.get(lesson.status, lesson.status)} by <@{reviewer}>"
    blocks = [_lesson_section(lesson, f"*{outcome}* — *{escape(lesson.partner)}*")]
    if lesson.status == "approved":
        blocks.append({"type": "actions", "block_id": f"review-{lesson.id}",
                       "elements": [_button(WITHDRAW, "Withdraw", lesson.id, "danger")]})
    return escape(f"{_OUTCOME.get(lesson.status, lesson.status)}: {lesson.question}"), blocks


def _lesson_section(lesson: Lesson, heading: str) -> dict[str, Any]:
    body = (f"{heading}\n>*{escape(lesson.question)}*\n>{escape(lesson.answer)}\n"
            f"<{lesson.url.replace('|', '%7C').replace('>', '%3E')}|{escape(lesson.url)}>  ·  lesson `{lesson.id}`")
    return {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}}


def _button(action_id: str, label: str, value: str, style: str | None = None) -> dict[str, Any]:
    button = {"type": "button", "action_id": action_id, "value": value,
              "text": {"type": "plain_text", "text": label}}
    if style:
        button["style"] = style
    return button


def digest_message(digest: Digest) -> tuple[str, list[dict[str, Any]]]:
    """A partner's digest: its open gaps, largest first, each with a Teach button; its redirects."""
    head = f"Content gaps of {digest.name}: {digest.open_gaps} open"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": head[:150]}}]
    for gap in digest.gaps:
        examples = "\n".join(f">{escape(e)}" for e in gap["examples"])
        facts = " · ".join(part for part in (", ".join(gap["languages"]), ", ".join(gap["channels"]),
                                             ", ".join(gap["communes"])) if part)
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"*Asked {gap['count']}×* ({facts})\n{examples}"[:3000]},
                       "accessory": _button(TEACH, "Teach", gap["id"], "primary")})
    if not digest.gaps:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "No open gap: well done."}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f"People sent to {escape(digest.name)}: {digest.redirects_offered} · "
        f"followed the link: {digest.redirects_followed}")}]})
    return escape(head), blocks[:50]

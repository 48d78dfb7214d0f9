"""Partners teaching in Slack: the "Improve this answer" and "Teach" buttons open the modal, its submission becomes
a lesson pending review, the review request is posted for the reviewers named in config, and their Approve,
Reject or Withdraw clicks take effect (core.teaching does the work; this only translates). ``/loci gaps`` shows
the digest of the channel's partner.

Unlike questions these are not answered through the inbox: Slack opens a modal only within 3 seconds of the
click that asked for it, and a submission's errors must come back in its own response. Each action is one short
write to the state store; a Slack call that fails after it is logged, and the lesson is kept (``loci teach list``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from genius_loci.core.digest import Digest
from genius_loci.core.teaching import Lesson, Teaching, TeachingError
from genius_loci.core.types import Partner

from .teach import (
    APPROVE,
    MODAL,
    REJECT,
    TEACH,
    WITHDRAW,
    digest_message,
    read_submission,
    review_outcome,
    review_request,
    teach_modal,
)
from .translate import IMPROVE

log = logging.getLogger("genius_loci.slack.teach")
Ack = Callable[..., Awaitable[None]]
Digests = Callable[[str | None], Awaitable[list[Digest]]]
NOT_A_REVIEWER = "Only the reviewers named in LOCI_TEACH_REVIEWERS can approve or reject an answer."


class TeachingDesk:
    def __init__(self, teaching: Teaching, partners: Sequence[Partner], key_of: Callable[[str], str], *,
                 reviewers: frozenset[str], review_channel: str | None, digests: Digests) -> None:
        self._teaching = teaching
        self._partners = list(partners)
        self._key_of = key_of
        self._reviewers = reviewers
        self._review_channel = review_channel
        self._digests = digests

    def listen(self, app: AsyncApp) -> None:
        app.action(IMPROVE)(self.on_open)
        app.action(TEACH)(self.on_open)
        app.view(MODAL)(self.on_submit)
        for action in (APPROVE, REJECT, WITHDRAW):
            app.action(action)(self.on_review)

    def _person(self, body: dict[str, Any]) -> tuple[str, str]:
        """(Slack user id, the person's pseudonymous key)."""
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        return str(user.get("id", "")), self._key_of(f"{team}:{user.get('id', '')}")

    async def on_open(self, body: dict[str, Any], ack: Ack, client: AsyncWebClient) -> None:
        """A Teach (gap) or Improve (answer) click: the modal, prefilled with what it is about."""
        await ack()
        action = (body.get("actions") or [{}])[0]
        value = str(action.get("value") or "")
        about = {"gap_id": value} if action.get("action_id") == TEACH else {"turn_id": value}
        user, _ = self._person(body)
        try:
            question, partner = await self._teaching.subject(**about)
        except TeachingError as exc:
            await self._tell(client, body, user, str(exc))
            return
        await self._call(client.views_open(trigger_id=body.get("trigger_id", ""),
                                           view=teach_modal(question, partner, self._partners, **about)), "views.open")

    async def on_submit(self, body: dict[str, Any], ack: Ack, client: AsyncWebClient) -> None:
        sent = read_submission(body)
        user, key = self._person(body)
        try:
            lesson = await self._teaching.propose(answer=sent.answer, url=sent.url, author=key, partner=sent.partner,
                                                  gap_id=sent.gap_id, turn_id=sent.turn_id, question=sent.question)
        except TeachingError as exc:
            await ack(response_action="errors", errors={exc.field or "answer": str(exc)[:150]})
            return
        await ack()
        if self._review_channel:
            text, blocks = review_request(lesson, user)
            await self._call(client.chat_postMessage(channel=self._review_channel, text=text, blocks=blocks),
                             "chat.postMessage")
            note = f"Thank you: your answer (lesson {lesson.id}) is waiting for review in <#{self._review_channel}>."
        else:
            note = f"Thank you: your answer is lesson {lesson.id}; a reviewer approves it with `loci teach approve`."
        await self._call(client.chat_postMessage(channel=user, text=note), "chat.postMessage")

    async def on_review(self, body: dict[str, Any], ack: Ack, client: AsyncWebClient) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        lesson_id, kind = str(action.get("value") or ""), action.get("action_id")
        user, key = self._person(body)
        try:
            lesson = await self._decide(kind, lesson_id, user, key)
        except TeachingError as exc:
            await self._tell(client, body, user, str(exc))
            return
        if lesson is None:
            await self._tell(client, body, user, NOT_A_REVIEWER)
            return
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
        if channel and ts:
            text, blocks = review_outcome(lesson, user)
            await self._call(client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks), "chat.update")

    async def _decide(self, kind: Any, lesson_id: str, user: str, key: str) -> Lesson | None:
        """The change a reviewer asked for (None: this person may not). A lesson's author may withdraw it too."""
        if kind == WITHDRAW and user not in self._reviewers:
            lesson = await self._teaching.lesson(lesson_id)
            if lesson is None or lesson.author != key:
                return None
            return await self._teaching.withdraw(lesson_id, key)
        if user not in self._reviewers:
            return None
        if kind == APPROVE:
            return await self._teaching.approve(lesson_id, key)
        if kind == REJECT:
            return await self._teaching.reject(lesson_id, key)
        return await self._teaching.withdraw(lesson_id, key)

    async def gaps(self, body: dict[str, Any], ack: Ack) -> None:
        """``/loci gaps``: the digest of the channel's partner (of every partner with open gaps elsewhere), only
        to the person who asked."""
        channel = body.get("channel_id")
        mine = next((p.id for p in self._partners if p.slack_channel and p.slack_channel == channel), None)
        found = [d for d in await self._digests(mine) if mine or d.open_gaps]
        if not found:
            await ack(text="No open content gap: the assistant answered everything well.")
            return
        blocks: list[dict[str, Any]] = []
        for digest in found:
            blocks += digest_message(digest)[1]
        await ack(text=digest_message(found[0])[0], blocks=blocks[:50])

    async def _tell(self, client: AsyncWebClient, body: dict[str, Any], user: str, text: str) -> None:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if channel:
            await self._call(client.chat_postEphemeral(channel=channel, user=user, text=text), "chat.postEphemeral")
        else:
            await self._call(client.chat_postMessage(channel=user, text=text), "chat.postMessage")

    @staticmethod
    async def _call(call: Awaitable[Any], name: str) -> None:
        try:
            await call
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.error("slack call failed", extra={"event": "slack.teach_failed", "method": name,
                                                  "reason": str(exc)[:200]})

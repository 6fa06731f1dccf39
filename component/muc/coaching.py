"""Coaching in a chat (``roles.coaching``): a coached agent's answers become
drafts that only staff see, until a supervisor approves, edits or rejects them.

The visitor receives an approved draft as a new message from the agent, with
an id of its own: nothing in it points at the draft, its number, or who
approved it. Commands, verdicts and notices are staff-only like every command.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any

from component.muc.content import Content, new_stanza_id
from component.muc.events import Events, MessageSaid
from component.muc.person import Person
from component.muc.rooms import Room
from roles.authorization import may
from roles.coaching import Coaching, CoachingPolicy, Draft, Verdict, parse_target
from roles.commands import Command
from roles.effects import Effect, Said
from roles.model import Occupant
from roles.refusal import Refused
from roles.visitor_text import quoted
from storage.writer import Params

log = logging.getLogger(__name__)
COACHING_COMMANDS = frozenset({"coach", "ok", "edit", "no"})
SUPERVISING = ("supervisor", "admin")
# What a verdict publishes: the room, its effects, and audit rows for the same commit.
Publish = Callable[[Room, list[Effect], Sequence[tuple[str, Params]]], Awaitable[None]]
AuditRow = Callable[[str, str, str, str], tuple[str, Params]]


def supervised(room: Room, agent: str) -> bool:
    """Whether someone who may approve is in the chat (hidden or not)."""
    return any(
        o.role in SUPERVISING and o.jid != agent for o in room.state.occupants.values()
    )


def audit_detail(verdict: Verdict) -> str:
    """What the audit log keeps of a verdict, read back by ``huddle report``."""
    detail = f"agent={verdict.draft.agent} draft={verdict.draft.number} waited={verdict.waited:.1f}"
    if verdict.text is not None:
        detail += f" text={verdict.text[:300]}"
    return detail


class Coach:
    def __init__(
        self,
        policy: Callable[[], CoachingPolicy],
        lock: Callable[[str], AbstractAsyncContextManager[Any]],
        publish: Publish,
        audit_row: AuditRow,
        events: Events,
    ) -> None:
        self.policy = policy
        self.lock = lock
        self.publish = publish
        self.audit_row = audit_row
        self.events = events
        self._spoken: list[tuple[Room, Said]] = []  # approved, told once published
        self._timers: dict[tuple[str, int], asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the agent's side ------------------------------------------------------------

    def drafts(self, room: Room, sender: Occupant, content: Content) -> bool:
        """Whether this message of ``sender`` becomes a draft rather than speech."""
        return (
            room.chat is not None
            and sender.role == "agent"
            and room.coaching.is_coached(sender.jid)
            and content.body is not None
            and (supervised(room, sender.jid) or self.policy().unattended == "wait")
        )

    def draft(
        self,
        room: Room,
        session_jid: str,
        sender: Occupant,
        content: Content,
        refers_to: Said | None,
    ) -> list[Effect]:
        """The agent's message, said to staff only: a new draft, or the revision of
        a pending one (a correction). A correction of an answer already sent stays
        with staff: approval is the only way to the visitor."""
        state = room.state
        coaching = room.coaching
        now = time.time()
        if content.replaces is not None:
            said = Said(sender, True, now, new_stanza_id(), content, refers_to)
            effects = state.say(session_jid, said)
            pending = _draft_of(coaching, refers_to)
            if pending is None:
                return [
                    *effects,
                    *state.tell(
                        session_jid,
                        "While you are coached, a correction of a sent answer stays with "
                        "staff; send the corrected text as a new message.",
                    ),
                ]
            revised = replace(content, replaces=None)
            coaching.revise(pending.number, revised)
            return [
                *effects,
                *state.notify_staff(
                    f"{sender.name} revised draft {pending.number}: {quoted(content.body or '')}"
                ),
            ]
        number = coaching.next_number()
        said = Said(sender, True, now, new_stanza_id(), content, draft=number)
        draft = coaching.add(sender.jid, said, content, now)
        self._start_timer(room, draft)
        log.info("draft %d by %s in %s", number, sender.jid, state.jid)
        return state.say(session_jid, said)

    # -- the supervisor's side -------------------------------------------------------

    async def command(
        self, room: Room, session_jid: str, sender: Occupant, command: Command, said: Said
    ) -> None:
        """``!coach``, ``!ok``, ``!edit``, ``!no``: the command is reflected to staff
        (``said``), then carried out; a refusal is a notice to the sender."""
        state = room.state
        effects: list[Effect] = state.say(session_jid, said)
        audits: list[tuple[str, Params]] = []
        try:
            if not may(sender.role, "coach"):
                raise Refused("forbidden", f"Only supervisors may use !{command.word}.")
            if room.chat is None:
                raise Refused("bad-request", "Coaching is for chats, not the desk.")
            if command.name == "coach":
                effects.extend(self._coach(room, sender, command.arg, audits))
            else:
                number, text = parse_target(command.arg)
                draft = room.coaching.find(number)
                if command.name == "edit" and not text:
                    raise Refused("bad-request", "Usage: !edit [n] <text>")
                action = {"ok": "approved", "edit": "edited", "no": "rejected"}[command.name]
                verdict = Verdict(
                    draft,
                    action,  # type: ignore[arg-type]
                    sender.name,
                    text if command.name != "ok" else None,
                    time.time() - draft.at,
                )
                effects.extend(self._carry_out(room, verdict))
                audits.append(
                    self.audit_row(room.local, sender.jid, f"draft {action}", audit_detail(verdict))
                )
        except Refused as refused:
            effects.extend(state.tell(session_jid, refused.text or refused.condition))
        await self._publish(room, effects, audits)

    async def _publish(
        self, room: Room, effects: list[Effect], audits: Sequence[tuple[str, Params]]
    ) -> None:
        spoken, self._spoken = self._spoken, []
        await self.publish(room, effects, audits)
        for where, said in spoken:
            # The agent answered: the desk and the floor learn it as from the agent.
            sender = said.sender
            person = Person(sender.jid, sender.role, sender.name)
            body = said.payload.body or ""
            self.events.emit(MessageSaid(where, person, True, body, said.stamp))

    def _coach(
        self, room: Room, sender: Occupant, arg: str, audits: list[tuple[str, Params]]
    ) -> list[Effect]:
        state = room.state
        coaching = room.coaching
        if arg.lower() == "off":
            coaching.coached.clear()
            audits.append(self.audit_row(room.local, sender.jid, "coaching off", ""))
            notes = state.notify_staff(f"{sender.name} ended coaching in this chat.")
            return [*notes, *self._send_pending(room)]
        if not arg:
            names = [o.name for o in state.occupants.values() if o.jid in coaching.coached]
            text = f"Coached here: {', '.join(names)}." if names else "Nobody is coached here."
            pending = ", ".join(str(d.number) for d in coaching.pending())
            return state.notify_staff(text + (f" Drafts waiting: {pending}." if pending else ""))
        wanted = arg.casefold()
        agent = next(
            (
                o
                for o in state.occupants.values()
                if o.role == "agent" and wanted in (o.jid, o.name.casefold(), o.nick.casefold())
            ),
            None,
        )
        if agent is None:
            raise Refused("item-not-found", f"No agent called {arg!r} is in this chat.")
        coaching.coached.add(agent.jid)
        audits.append(self.audit_row(room.local, sender.jid, "coaching on", agent.jid))
        return state.notify_staff(
            f"{sender.name} is coaching {agent.name}: their answers wait for approval "
            "(!ok, !edit, !no)."
        )

    def _carry_out(self, room: Room, verdict: Verdict) -> list[Effect]:
        """The verdict's effects: the approved text said as the agent's, notices."""
        state = room.state
        draft = room.coaching.decide(verdict).draft
        self._stop_timer(room, draft.number)
        n = draft.number
        if verdict.action == "rejected":
            why = f": {verdict.text}" if verdict.text else "."
            return state.notify_staff(f"{verdict.by} rejected draft {n}{why}")
        nick = state.nick_of_jid.get(draft.agent)
        if nick is None:
            raise Refused("item-not-found", f"The agent has left; draft {n} cannot be sent.")
        session = next(iter(state.sessions[nick]))
        effects: list[Effect] = []
        if state.occupants[nick].hidden:
            effects.extend(state.reveal(session))
        agent = state.occupants[nick]
        body = draft.content.body if verdict.text is None else verdict.text
        content = replace(
            draft.content, id=new_stanza_id(), origin_id=None, body=body, replaces=None
        )
        spoken = Said(agent, False, time.time(), new_stanza_id(), content)
        effects.extend(state.say(session, spoken))
        self._spoken.append((room, spoken))
        if verdict.action == "edited":
            effects.extend(
                state.notify_staff(
                    f"{verdict.by} changed draft {n} of {agent.name} before sending it: "
                    f"{quoted(body or '')}"
                )
            )
        elif verdict.action == "sent unreviewed":
            effects.extend(state.notify_staff(f"Draft {n} was sent as written: nobody acted."))
        else:
            effects.extend(state.notify_staff(f"{verdict.by} approved draft {n}."))
        return effects

    def _send_pending(self, room: Room) -> list[Effect]:
        """Coaching ended with drafts pending: they are sent as written."""
        effects: list[Effect] = []
        for draft in list(room.coaching.pending()):
            verdict = Verdict(draft, "sent unreviewed", "", None, time.time() - draft.at)
            try:
                effects.extend(self._carry_out(room, verdict))
            except Refused:
                continue
        return effects

    def coached_joined(self, room: Room, person: Person, coached: bool) -> None:
        """A staff member coached by the directory is coached in every chat."""
        if coached and person.role == "agent":
            room.coaching.coached.add(person.jid)

    # -- unattended drafts ------------------------------------------------------------

    def _start_timer(self, room: Room, draft: Draft) -> None:
        timeout = self.policy().approval_timeout
        if timeout <= 0:
            return
        loop = asyncio.get_running_loop()
        self._timers[(room.local, draft.number)] = loop.call_later(
            timeout, lambda: self._spawn(self._expired(room, draft.number))
        )

    def _stop_timer(self, room: Room, number: int) -> None:
        if timer := self._timers.pop((room.local, number), None):
            timer.cancel()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _expired(self, room: Room, number: int) -> None:
        self._timers.pop((room.local, number), None)
        async with self.lock(room.local):
            draft = room.coaching.drafts.get(number)
            if draft is None or room.chat is None or room.chat.status == "closed":
                return
            if self.policy().unattended == "wait":
                effects = room.state.notify_staff(
                    f"Draft {number} is still waiting for a supervisor's !ok, !edit or !no."
                )
                await self._publish(room, effects, ())
                return
            verdict = Verdict(draft, "sent unreviewed", "", None, time.time() - draft.at)
            try:
                effects = self._carry_out(room, verdict)
            except Refused as refused:
                effects = room.state.notify_staff(refused.text)
            audit = self.audit_row(room.local, "", "draft sent unreviewed", audit_detail(verdict))
            await self._publish(room, effects, [audit])

    def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        for task in self._tasks:
            task.cancel()


def _draft_of(coaching: Coaching, said: Said | None) -> Draft | None:
    """The pending draft ``said`` is (a correction names the draft it corrects)."""
    if said is None or not said.draft:
        return None
    return coaching.drafts.get(said.draft)

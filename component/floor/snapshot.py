"""The floor as the dashboard shows it: one JSON-ready snapshot of the queue, the
active chats, the agents, today's numbers and the alerts (docs/floor-feed.md).

Built from the desk's memory (open chats, who is where) and, for the day's and
the week's numbers, from the chats table. Everything in it is for staff: the
feed that carries it is staff-only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from component.desk.desk import Desk, minutes, short, visitor_label
from component.muc.rooms import Room
from roles.alerts import Alert, alerts_for
from roles.chat import Chat
from roles.reports import ChatFacts, Times, per_day, per_hour, ratings
from storage.reports import chat_facts
from storage.staff import StaffMember

VERSION = 1
WEEK = 7


@dataclass(frozen=True, slots=True)
class PastDays:
    """The week's numbers before today: they change only at midnight."""

    today: date
    facts: list[ChatFacts]


def alert_text(chat: Chat, alert: Alert, now: float) -> str:
    waited = minutes(now - alert.since)
    who = visitor_label(chat)
    if alert.kind == "waiting":
        return f"[{short(chat.id)}] {who} has waited {waited} for an agent"
    if alert.kind == "first_response":
        return f"[{short(chat.id)}] no answer yet, {waited} after {who} opened the chat"
    return f"[{short(chat.id)}] {who} has waited {waited} for an answer"


def current_alerts(desk: Desk, now: float) -> list[tuple[Room, Chat, Alert]]:
    limits = desk.config.alerts
    found = []
    for room, chat in desk.chats():
        present = room.state.visitor() is not None
        for alert in alerts_for(chat, present, limits, now):
            found.append((room, chat, alert))
    return found


class SnapshotBuilder:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._past: PastDays | None = None

    async def build(self, directory: list[StaffMember]) -> dict[str, Any]:
        desk = self.desk
        now = time.time()
        today = datetime.fromtimestamp(now).date()
        midnight = datetime.combine(today, datetime.min.time()).timestamp()
        db = desk.store.db
        if self._past is None or self._past.today != today:
            week_start = datetime.combine(
                today - timedelta(days=WEEK - 1), datetime.min.time()
            ).timestamp()
            self._past = PastDays(today, await chat_facts(db, week_start, midnight))
        todays = await chat_facts(db, midnight, now + 1)
        days = [today - timedelta(days=n) for n in range(WEEK - 1, -1, -1)]
        week = per_day([*self._past.facts, *todays], days)
        today_totals = week[today]
        rated = ratings(todays)
        alerts = current_alerts(desk, now)
        return {
            "version": VERSION,
            "now": now,
            "service": desk.config.service,
            "desk": desk.config.desk,
            "queue": self._queue(),
            "active": self._active(),
            "agents": self._agents(directory),
            "today": {
                "since": midnight,
                "chats": today_totals.chats,
                "answered": today_totals.answered,
                "missed": today_totals.missed,
                "first_response": _times(today_totals.first_response),
                "wait": _times(today_totals.wait),
                "ratings": {"count": rated.count, "average": rated.average},
            },
            "hours": per_hour(todays),
            "week": [
                {"day": day.isoformat(), "chats": t.chats, "missed": t.missed}
                for day, t in week.items()
            ],
            "alerts": [
                {
                    "chat": chat.id,
                    "kind": alert.kind,
                    "since": alert.since,
                    "text": alert_text(chat, alert, now),
                }
                for _, chat, alert in alerts
            ],
        }

    def _queue(self) -> list[dict[str, Any]]:
        desk = self.desk
        return [
            {
                **_chat_fields(room, chat),
                "email": chat.visitor_email,
                "page": chat.visitor_page,
                "place": place,
                "offered_to": desk.name_of(chat.offered_to, room) if chat.offered_to else None,
                "first_message": chat.first_message,
            }
            for place, (room, chat) in enumerate(desk.in_line(), start=1)
        ]

    def _active(self) -> list[dict[str, Any]]:
        desk = self.desk
        rows = []
        for room, chat in sorted(desk.chats(), key=lambda rc: rc[1].created):
            if chat.status != "active":
                continue
            staff = [o for o in room.state.occupants.values() if o.is_staff]
            rows.append(
                {
                    **_chat_fields(room, chat),
                    "agent": desk.name_of(chat.assigned, room),
                    "agent_jid": chat.assigned,
                    "assigned_at": chat.assigned_at,
                    "answered": chat.answered,
                    "last_activity": chat.last_activity,
                    "waiting_since": chat.unanswered_since,
                    "staff": [o.name for o in staff if not o.hidden],
                    "hidden": [o.name for o in staff if o.hidden],
                }
            )
        return rows

    def _agents(self, directory: list[StaffMember]) -> list[dict[str, Any]]:
        desk = self.desk
        on_desk = {a.jid: a for a in desk.agents()}
        rows = []
        for member in directory:
            if member.role != "agent":
                continue
            state = on_desk.get(member.jid)
            chats = desk.active_chats(member.jid)
            idle = state.idle_since if state is not None and chats == 0 else None
            rows.append(
                {
                    "jid": member.jid,
                    "name": member.name,
                    "team": member.team,
                    "show": (state.show or "available") if state is not None else "offline",
                    "chats": chats,
                    "max_chats": member.max_chats,
                    "idle_since": idle or None,
                }
            )
        return rows


def _chat_fields(room: Room, chat: Chat) -> dict[str, Any]:
    return {
        "chat": chat.id,
        "room": room.state.jid,
        "short": short(chat.id),
        "visitor": chat.visitor_name,
        "team": chat.team,
        "created": chat.created,
        "visitor_present": room.state.visitor() is not None,
    }


def _times(t: Times) -> dict[str, float | None]:
    return {"median": t.median, "p90": t.p90}

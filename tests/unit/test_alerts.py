"""When a chat raises an alert, and when it does not."""

from __future__ import annotations

from roles.alerts import Alert, Alerts, alerts_for
from roles.chat import Chat

LIMITS = Alerts(waiting_seconds=120, first_response_seconds=60, unanswered_seconds=180)


def chat(**fields: object) -> Chat:
    return Chat("chat-1", "support", created=1000.0, **fields)  # type: ignore[arg-type]


def test_a_chat_waiting_past_the_threshold_alerts_only_while_its_visitor_is_there():
    waiting = chat()
    assert alerts_for(waiting, True, LIMITS, 1119.9) == []
    assert alerts_for(waiting, True, LIMITS, 1120.0) == [Alert("chat-1", "waiting", 1000.0)]
    assert alerts_for(waiting, False, LIMITS, 5000.0) == []


def test_an_assigned_chat_with_no_answer_alerts_until_answered():
    taken = chat()
    taken.assign("jennie@example.org", 1010.0)
    assert alerts_for(taken, True, LIMITS, 1059.0) == []
    assert alerts_for(taken, True, LIMITS, 1060.0) == [Alert("chat-1", "first_response", 1000.0)]
    taken.answered = 1070.0
    assert alerts_for(taken, True, LIMITS, 1100.0) == []


def test_an_unanswered_visitor_message_alerts_from_when_it_was_said():
    active = chat(answered=1010.0)
    active.assign("jennie@example.org", 1005.0)
    active.unanswered_since = 2000.0
    assert alerts_for(active, True, LIMITS, 2179.0) == []
    assert alerts_for(active, True, LIMITS, 2180.0) == [Alert("chat-1", "unanswered", 2000.0)]


def test_zero_turns_an_alert_off_and_closed_chats_raise_none():
    off = Alerts(waiting_seconds=0, first_response_seconds=0, unanswered_seconds=0)
    assert alerts_for(chat(), True, off, 10**9) == []
    closed = chat()
    closed.close(1001.0)
    assert alerts_for(closed, True, LIMITS, 10**9) == []

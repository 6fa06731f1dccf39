"""XEP-0313 archive queries on a chat, filtered per viewer (LEAKS #14, #23)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree import ElementTree as ET

import pytest

from tests.integration.client import error_condition, groupchat_from, q
from tests.integration.supervision import supervised_chat

pytestmark = pytest.mark.integration
MAM = "urn:xmpp:mam:2"
RSM = "http://jabber.org/protocol/rsm"
FWD = "urn:xmpp:forward:0"


async def query(client, room, rsm="", form="", queryid="q1"):
    mark = client.mark()
    reply = await client.iq(
        room, f"<query xmlns='{MAM}' queryid='{queryid}'>{form}{rsm}</query>", "set"
    )
    results = [
        s
        for s in client.since(mark)
        if s.tag == q("message") and s.find(q("result", MAM)) is not None
    ]
    return reply, results


def bodies(results):
    out = []
    for message in results:
        inner = message.find(f"{q('result', MAM)}/{q('forwarded', FWD)}/{q('message')}")
        out.append(inner.find(q("body")).text)
    return out


def rsm_value(reply, name):
    element = reply.find(f"{q('fin', MAM)}/{q('set', RSM)}/{q(name, RSM)}")
    return element.text if element is not None else None


async def conversation(connect, room):
    chat = await supervised_chat(connect, room)
    for sender, text in (
        (chat.visitor, "hello"),
        (chat.agent, "hi, how can I help?"),
        (chat.john, "!w check the invoice"),
        (chat.agent, "!w on it"),
        (chat.visitor, "my invoice"),
    ):
        sender.send(f"<message to='{room}' type='groupchat'><body>{text}</body></message>")
        wanted = text.removeprefix("!w ")
        await chat.agent.expect(
            lambda s, wanted=wanted: (
                s.find(q("body")) is not None
                and s.get("type") == "groupchat"
                and wanted in (s.find(q("body")).text or "")
            )
        )
    return chat


async def test_visitor_reads_only_what_they_saw_and_counts_match(connect, room):
    chat = await conversation(connect, room)
    reply, results = await query(chat.visitor, room)
    assert reply.get("type") == "result"
    assert bodies(results) == ["hello", "hi, how can I help?", "my invoice"]
    assert rsm_value(reply, "count") == "3"
    assert reply.find(q("fin", MAM)).get("complete") == "true"
    first = reply.find(f"{q('fin', MAM)}/{q('set', RSM)}/{q('first', RSM)}")
    assert first.get("index") == "0"
    assert all(r.find(q("result", MAM)).get("queryid") == "q1" for r in results)
    assert "invoice" not in " ".join(bodies(results)[:2])
    assert "check the invoice" not in chat.visitor.raw and "on it" not in chat.visitor.raw
    chat.assert_no_leak()


async def test_staff_read_everything(connect, room):
    chat = await conversation(connect, room)
    reply, results = await query(chat.agent, room)
    assert bodies(results) == [
        "hello",
        "hi, how can I help?",
        "[whisper] check the invoice",
        "[whisper] on it",
        "my invoice",
    ]
    assert rsm_value(reply, "count") == "5"


async def test_paging_forwards_and_backwards(connect, room):
    chat = await conversation(connect, room)
    reply, results = await query(chat.visitor, room, f"<set xmlns='{RSM}'><max>2</max></set>")
    assert bodies(results) == ["hello", "hi, how can I help?"]
    assert reply.find(q("fin", MAM)).get("complete") == "false"
    last = rsm_value(reply, "last")
    reply, results = await query(
        chat.visitor, room, f"<set xmlns='{RSM}'><max>2</max><after>{last}</after></set>"
    )
    assert bodies(results) == ["my invoice"] and rsm_value(reply, "count") == "3"
    reply, results = await query(
        chat.visitor, room, f"<set xmlns='{RSM}'><max>1</max><before/></set>"
    )
    assert bodies(results) == ["my invoice"]


async def test_bad_queries_are_refused_and_strangers_read_nothing(connect, room, stack):
    chat = await conversation(connect, room)
    form = (
        "<x xmlns='jabber:x:data' type='submit'>"
        f"<field var='FORM_TYPE'><value>{MAM}</value></field>"
        "<field var='start'><value>yesterday</value></field></x>"
    )
    reply, results = await query(chat.visitor, room, form=form)
    assert error_condition(reply) == "modify/bad-request" and results == []
    reply, _ = await query(chat.visitor, room, f"<set xmlns='{RSM}'><after>nope</after></set>")
    assert error_condition(reply) == "cancel/item-not-found"
    # To someone not in it, the chat is as absent as one that never existed (LEAKS #32).
    outsider = await connect()
    reply, results = await query(outsider, room)
    assert error_condition(reply) == "cancel/item-not-found" and results == []
    reply, _ = await query(outsider, f"chat-{'4' * 24}@{stack.info.service}")
    assert error_condition(reply) == "cancel/item-not-found"


@contextmanager
def failures_logged() -> Iterator[list[logging.LogRecord]]:
    """Every record the component logs at ERROR or with a traceback meanwhile; the
    test clients' own loop noise is not the component's."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            ours = record.name.partition(".")[0] in ("component", "roles", "storage")
            if ours and (record.levelno >= logging.ERROR or record.exc_info):
                records.append(record)

    handler = Collect()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)


def form(**fields):
    values = "".join(
        f"<field var='{name.replace('_', '-')}'><value>{value}</value></field>"
        for name, value in fields.items()
    )
    return (
        "<x xmlns='jabber:x:data' type='submit'>"
        f"<field var='FORM_TYPE'><value>{MAM}</value></field>{values}</x>"
    )


def rsm(inner):
    return f"<set xmlns='{RSM}'>{inner}</set>"


LONG_ID = "x" * 100_000
ABSURD = [
    # (what the client asks, how it is answered)
    (rsm(f"<max>{'9' * 400}</max>"), "result"),
    (rsm("<max>-5</max>"), "result"),
    (rsm(f"<max>-{'9' * 400}</max>"), "result"),
    (rsm("<max>ten</max>"), "modify/bad-request"),
    (rsm(f"<max>{'9' * 5000}</max>"), "modify/bad-request"),
    (rsm(f"<after>{LONG_ID}</after>"), "cancel/item-not-found"),
    (rsm(f"<max>1</max><before>{LONG_ID}</before>"), "cancel/item-not-found"),
    (form(after_id=LONG_ID), "cancel/item-not-found"),
    (form(before_id=LONG_ID), "cancel/item-not-found"),
    (form(start="99999-01-01T00:00:00Z"), "modify/bad-request"),
    (form(end="+99999-01-01T00:00:00Z"), "modify/bad-request"),
    (form(start="9999-12-31T23:59:59Z"), "result"),
    (form(end="0001-01-01T00:00:00Z"), "result"),
    (form(start="0001-01-01T00:00:00+23:59"), "result"),
    (form(start=LONG_ID), "modify/bad-request"),
    (form(**{"x" * 10_000: "1"}), "modify/bad-request"),
]


@pytest.mark.parametrize(("ask", "expected"), ABSURD, ids=range(len(ABSURD)))
async def test_absurd_values_get_an_answer_never_a_failure(connect, room, ask, expected):
    visitor = await connect()
    await visitor.join(room, "Alice")
    with failures_logged() as failures:
        in_form = ask.startswith("<x ")
        reply, _ = await query(visitor, room, "" if in_form else ask, ask if in_form else "")
        # The client's own input is never echoed back at length.
        assert len(ET.tostring(reply)) < 2_000
        if expected == "result":
            assert reply.get("type") == "result"
        else:
            assert error_condition(reply) == expected
        # And the room answers as before.
        again, _ = await query(visitor, room, rsm("<max>5</max>"))
        assert again.get("type") == "result"
    assert not failures, [r.getMessage() for r in failures]


async def test_a_long_queryid_is_refused(connect, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    reply, results = await query(visitor, room, queryid="q" * 10_000)
    assert error_condition(reply) == "modify/bad-request" and results == []


async def test_paging_through_a_longer_chat_meets_every_message_once(connect, room):
    chat = await conversation(connect, room)
    for n in range(20):
        chat.agent.send(f"<message to='{room}' type='groupchat'><body>n{n}</body></message>")
        chat.john.send(f"<message to='{room}' type='groupchat'><body>!w w{n}</body></message>")
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "n19"))
    await chat.agent.expect(lambda s: "w19" in (s.findtext(q("body")) or ""))
    # Backwards from the end, three at a time, as clients fetch history.
    seen: list[str] = []
    before = ""
    while True:
        reply, results = await query(
            chat.visitor, room, rsm(f"<max>3</max><before>{before}</before>")
        )
        assert rsm_value(reply, "count") == "23"
        seen[:0] = bodies(results)
        if reply.find(q("fin", MAM)).get("complete") == "true":
            break
        before = rsm_value(reply, "first")
    expected = ["hello", "hi, how can I help?", "my invoice"] + [f"n{n}" for n in range(20)]
    assert seen == expected
    chat.assert_no_leak()


async def test_history_on_rejoin_matches_the_archive(connect, room):
    chat = await conversation(connect, room)
    chat.visitor.send(f"<presence to='{room}/Alice' type='unavailable'/>")
    await chat.agent.expect(
        lambda s: s.get("from") == chat.visitor_nick and s.get("type") == "unavailable"
    )
    got = await chat.visitor.join(room, "Alice")
    history = [s.find(q("body")).text for s in got if s.find(q("body")) is not None]
    _, results = await query(chat.visitor, room)
    assert history == bodies(results)
    chat.visitor.send(f"<message to='{room}' type='groupchat'><body>ok</body></message>")
    await chat.visitor.expect(groupchat_from(chat.visitor_nick, "ok"))
    chat.assert_no_leak()

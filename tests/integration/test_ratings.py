"""Rating a closed chat (docs/visitor-protocol.md): Mia rates, the desk reads it,
the floor and ``huddle report`` count it; every error row of the spec."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import pytest

from tests.integration.client import Client, error_condition, q
from tests.integration.desk_helpers import desk_notice, on_desk
from tests.integration.test_floor import floor_where, subscribed
from tests.integration.test_records import huddle
from tests.integration.visitor_requests import answered_chat

pytestmark = pytest.mark.integration
NS_RATING = "urn:huddle:rating:0"


async def rate(
    client: Client, service: str, chat: str, score: str, comment: str = ""
) -> ET.Element:
    payload = f"<rating xmlns='{NS_RATING}' chat={quoteattr(chat)} score={quoteattr(score)}>"
    return await client.iq(service, f"{payload}{escape(comment)}</rating>", "set")


async def ratings_in_report(stack) -> dict:
    code, out, err = await huddle(stack, "report", "--since", "today", "--format", "json")
    assert code == 0, err
    return json.loads(out)["ratings"]


async def test_mia_rates_her_closed_chat_and_everyone_who_counts_hears_of_it(
    connect, stack, desk, room
):
    service = stack.info.service
    jennie_at_desk = await connect("jennie")
    await on_desk(jennie_at_desk, desk, "Jennie")
    john = await connect("john")
    before = (await subscribed(john, service))["today"]["ratings"]["count"]
    reported = await ratings_in_report(stack)

    chat = await answered_chat(connect, room)
    await chat.close()
    # A line break and a right-to-left override must not reach the desk as such.
    reply = await rate(chat.visitor, service, chat.id, "4", "Quick and kind,\nthanks\u202e")
    assert reply.get("type") == "result", ET.tostring(reply)
    assert list(reply) == []

    notice = await jennie_at_desk.expect(desk_notice(desk, "rated the chat"))
    assert notice.findtext(q("body")) == (
        f"[{chat.id.removeprefix('chat-')[:8]}] visitor “Mia” rated the chat 4/5: "
        "“Quick and kind, thanks”"
    )
    await john.expect(
        floor_where(lambda s: s["today"]["ratings"]["count"] == before + 1),
        timeout=1.5,
        what="the floor counting the rating within a second",
    )
    after = await ratings_in_report(stack)
    assert after["count"] == reported["count"] + 1
    assert after["distribution"]["4"] == reported["distribution"]["4"] + 1
    jennie_before = reported["per_agent"].get("jennie@localhost", {"count": 0})["count"]
    jennie = after["per_agent"]["jennie@localhost"]
    assert (jennie["name"], jennie["count"]) == ("Jennie", jennie_before + 1)


async def test_a_chat_is_rated_once_its_over_and_only_once(connect, stack, room):
    service = stack.info.service
    chat = await answered_chat(connect, room)
    early = await rate(chat.visitor, service, chat.id, "5")
    # wait, not modify: the same request will do once the chat has ended.
    assert error_condition(early) == "wait/unexpected-request"
    await chat.close()
    assert (await rate(chat.visitor, service, chat.id, "5")).get("type") == "result"
    again = await rate(chat.visitor, service, chat.id, "1", "changed my mind")
    assert error_condition(again) == "cancel/conflict"
    # Another visitor session (a reload) that knows the chat is refused the same way.
    other = await connect()
    assert error_condition(await rate(other, service, chat.id, "1")) == "cancel/conflict"


async def test_only_visitors_rate_and_only_chats_that_exist(connect, login, stack, room):
    service = stack.info.service
    chat = await answered_chat(connect, room)
    await chat.close()
    for who in ("agent", "supervisor", "admin", "stranger"):
        client = await login(who)
        reply = await rate(client, service, chat.id, "1")
        assert error_condition(reply) == "auth/forbidden", who
    for missing in ("chat-0000000000000000nothere", "desk", "", "x" * 2000):
        reply = await rate(chat.visitor, service, missing, "5")
        assert error_condition(reply) == "cancel/item-not-found", missing
    # None of that rated the chat: Mia still may.
    assert (await rate(chat.visitor, service, chat.id, "3")).get("type") == "result"


async def test_bad_scores_and_long_comments_are_bad_requests(connect, stack, room):
    service = stack.info.service
    chat = await answered_chat(connect, room)
    await chat.close()
    for score in ("0", "6", "4.5", "", "five"):
        reply = await rate(chat.visitor, service, chat.id, score)
        assert error_condition(reply) == "modify/bad-request", score
    long = await rate(chat.visitor, service, chat.id, "2", "x" * 1001)
    assert error_condition(long) == "modify/bad-request"
    # Nothing of that was stored: a good rating with the longest comment goes in.
    longest = await rate(chat.visitor, service, chat.id, "2", "y" * 1000)
    assert longest.get("type") == "result"

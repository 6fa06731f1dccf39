"""The floor feed (docs/floor-feed.md): XEP-0060 on the service, staff only.

Staff subscribe and get a snapshot of the floor within a second of every change;
visitors and strangers are refused every request, and no visitor is ever sent a
byte of the feed, whatever happens on the floor meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from roles.alerts import Alerts
from tests.integration.client import Client, error_condition, q
from tests.integration.desk_helpers import configured, desk_notice, on_desk, say

pytestmark = pytest.mark.integration
PUBSUB = "http://jabber.org/protocol/pubsub"
EVENT = f"{PUBSUB}#event"
ERRORS = f"{PUBSUB}#errors"
JSON = "urn:xmpp:json:0"


def subscribe(jid: str, node: str = "floor") -> str:
    return f"<pubsub xmlns='{PUBSUB}'><subscribe node='{node}' jid='{jid}'/></pubsub>"


def snapshot_of(stanza: ET.Element) -> dict[str, Any] | None:
    item = stanza.find(f"{{{EVENT}}}event/{{{EVENT}}}items/{{{EVENT}}}item")
    if stanza.tag != q("message") or item is None:
        return None
    container = item.find(f"{{{JSON}}}json")
    assert container is not None and container.text
    return json.loads(container.text)


def floor_where(test: Callable[[dict[str, Any]], bool]) -> Callable[[ET.Element], bool]:
    def match(stanza: ET.Element) -> bool:
        snapshot = snapshot_of(stanza)
        return snapshot is not None and test(snapshot)

    return match


def chat_in(section: str, room: str, test: Callable[[dict[str, Any]], bool] = lambda _: True):
    return floor_where(
        lambda s: any(row["room"] == room and test(row) for row in s[section])
    )


async def subscribed(client: Client, service: str) -> dict[str, Any]:
    reply = await client.iq(service, subscribe(client.jid), "set")
    assert reply.get("type") == "result", ET.tostring(reply)
    sub = reply.find(f"{{{PUBSUB}}}pubsub/{{{PUBSUB}}}subscription")
    assert sub is not None
    assert (sub.get("node"), sub.get("jid"), sub.get("subscription")) == (
        "floor",
        client.jid,
        "subscribed",
    )
    assert sub.get("expiry", "").endswith("Z")
    first = await client.expect(floor_where(lambda _: True), what="the current snapshot")
    snapshot = snapshot_of(first)
    assert snapshot is not None
    return snapshot


def no_feed(client: Client) -> None:
    assert EVENT not in client.raw and JSON not in client.raw, "a visitor got the floor feed"


async def test_a_supervisor_sees_a_chat_go_from_the_queue_to_active_with_who_watches(
    connect, stack, desk, room
):
    service = stack.info.service
    john = await connect("john")
    first = await subscribed(john, service)
    assert first["version"] == 1 and first["desk"] == desk
    assert {a["name"]: a["show"] for a in first["agents"]}["Jennie"] == "offline"

    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie", show="dnd")  # on the desk, not taking chats
    await john.expect(
        floor_where(lambda s: {a["name"]: a["show"] for a in s["agents"]}["Jennie"] == "dnd")
    )

    mia = await connect()
    await mia.join(room, "Mia")
    say(mia, room, "Where is my parcel?")
    queued = snapshot_of(
        await john.expect(
            chat_in("queue", room, lambda row: row["first_message"] == "Where is my parcel?"),
            timeout=1.5,
            what="the new chat in the queue within a second",
        )
    )
    assert queued is not None
    row = next(r for r in queued["queue"] if r["room"] == room)
    assert (row["visitor"], row["place"], row["visitor_present"]) == ("Mia", 1, True)

    await jennie.join(room, "Jennie")
    say(jennie, room, "Hello Mia, let me look.")
    active = await john.expect(
        chat_in("active", room, lambda r: r["agent"] == "Jennie" and r["answered"] is not None),
        timeout=1.5,
    )
    snapshot = snapshot_of(active)
    assert snapshot is not None
    assert all(r["room"] != room for r in snapshot["queue"])
    jennie_row = {a["name"]: a for a in snapshot["agents"]}["Jennie"]
    assert jennie_row["chats"] == 1

    await john.join(room, "John")
    await john.expect(chat_in("active", room, lambda r: r["hidden"] == ["John"]), timeout=1.5)
    say(mia, room, "Thanks!")
    await john.expect(chat_in("active", room, lambda r: r["waiting_since"] is not None))
    say(jennie, room, "You are welcome.")
    await john.expect(chat_in("active", room, lambda r: r["waiting_since"] is None))
    no_feed(mia)


@pytest.mark.parametrize("who", ["visitor", "stranger"])
async def test_outsiders_are_refused_every_request_and_never_sent_the_feed(
    login, connect, stack, desk, room, who
):
    service = stack.info.service
    outsider = await login(who)
    refused = await outsider.iq(service, subscribe(outsider.jid), "set")
    assert error_condition(refused) == "cancel/not-allowed"
    assert refused.find(f"{q('error')}/{{{ERRORS}}}closed-node") is not None
    items = await outsider.iq(service, f"<pubsub xmlns='{PUBSUB}'><items node='floor'/></pubsub>")
    assert error_condition(items) == "cancel/not-allowed"
    assert JSON not in ET.tostring(items, encoding="unicode")

    # The floor changes while a staff member is subscribed: the outsider hears nothing.
    john = await connect("john")
    await subscribed(john, service)
    if who == "visitor":
        await outsider.join(room, "Eve")
        say(outsider, room, "hello?")
    else:
        eve = await connect()
        await eve.join(room, "Eve")
    await john.expect(chat_in("queue", room))
    ping = await outsider.iq(service, "<ping xmlns='urn:xmpp:ping'/>")
    assert ping.get("type") == "result"
    no_feed(outsider)


async def test_wrong_requests_get_the_pubsub_errors_and_change_nothing(connect, stack):
    service = stack.info.service
    john = await connect("john")
    other_node = await john.iq(service, subscribe(john.jid, node="chats"), "set")
    assert error_condition(other_node) == "cancel/item-not-found"
    someone_else = await john.iq(service, subscribe("jennie@localhost/console"), "set")
    assert error_condition(someone_else) == "modify/bad-request"
    assert someone_else.find(f"{q('error')}/{{{ERRORS}}}invalid-jid") is not None
    bare = await john.iq(service, subscribe(john.bare), "set")
    assert error_condition(bare) == "modify/bad-request"
    publish = await john.iq(
        service,
        f"<pubsub xmlns='{PUBSUB}'><publish node='floor'><item id='current'/></publish></pubsub>",
        "set",
    )
    assert error_condition(publish) == "cancel/feature-not-implemented"
    unsupported = publish.find(f"{q('error')}/{{{ERRORS}}}unsupported")
    assert unsupported is not None and unsupported.get("feature") == "publish"
    assert stack.huddle is not None and stack.huddle.floor is not None
    assert john.jid not in stack.huddle.floor.subscribers
    assert EVENT not in john.raw


async def test_items_answers_the_snapshot_and_unsubscribe_stops_the_pushes(
    connect, stack, desk, room
):
    service = stack.info.service
    john = await connect("john")
    admin = await connect("admin")
    reply = await john.iq(service, f"<pubsub xmlns='{PUBSUB}'><items node='floor'/></pubsub>")
    container = reply.find(
        f"{{{PUBSUB}}}pubsub/{{{PUBSUB}}}items/{{{PUBSUB}}}item/{{{JSON}}}json"
    )
    assert container is not None and json.loads(container.text or "")["version"] == 1

    await subscribed(john, service)
    await subscribed(admin, service)
    gone = await john.iq(
        service,
        f"<pubsub xmlns='{PUBSUB}'><unsubscribe node='floor' jid='{john.jid}'/></pubsub>",
        "set",
    )
    assert gone.get("type") == "result"
    mark = john.mark()
    visitor = await connect()
    await visitor.join(room, "Ann")
    # One write carries every subscriber's copy: once the admin has his, John
    # would have had his too.
    await admin.expect(chat_in("queue", room))
    await john.iq(service, "<ping xmlns='urn:xmpp:ping'/>")
    assert all(snapshot_of(s) is None for s in john.since(mark))


async def test_a_chat_waiting_too_long_is_an_alert_on_the_floor_and_announced_once(
    connect, stack, desk, room
):
    service = stack.info.service
    huddle = stack.huddle
    assert huddle is not None and huddle.floor is not None
    john = await connect("john")
    await on_desk(john, desk, "John")
    await subscribed(john, service)
    with configured(stack, alerts=Alerts(waiting_seconds=0.2)):
        visitor = await connect()
        before = john.mark()
        await visitor.join(room, "Kim")
        alert = await john.expect(
            floor_where(lambda s: any(a["kind"] == "waiting" for a in s["alerts"])),
            what="a waiting alert",
        )
        snapshot = snapshot_of(alert)
        assert snapshot is not None
        text = next(a["text"] for a in snapshot["alerts"] if a["kind"] == "waiting")
        assert "visitor “Kim” has waited" in text
        # The notice and the snapshot come in either order.
        john.cursor = before
        await john.expect(desk_notice(desk, "Alert: "), what="the alert on the desk")
        mark = john.mark()
        huddle.floor.check_alerts()
        huddle.floor.check_alerts()
        say(john, desk, "!chats")
        await john.expect(desk_notice(desk, "waiting"), what="the answer to !chats")
        assert not any(desk_notice(desk, "Alert: ")(s) for s in john.since(mark))
    no_feed(visitor)

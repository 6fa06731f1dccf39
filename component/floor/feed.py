"""The floor feed (docs/floor-feed.md): XEP-0060 PubSub on the service's own
address, one node ``floor`` whose one item is a snapshot of the floor, pushed to
staff dashboards within half a second of any chat event.

Staff only: the directory decides at every subscribe, renewal and read, and
only subscribers get notifications, so no visitor session is ever sent one.
Subscriptions live in memory and expire unless renewed (a server drops a
headline to a session that is gone without telling us).

Alerts are checked every second: each new one changes the snapshot and is
announced on the desk once per chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from slixmpp import JID, Iq
from slixmpp.jid import InvalidJID

from component.addressing import Target
from component.desk.desk import Desk
from component.floor.snapshot import SnapshotBuilder, alert_text, current_alerts
from component.iq_router import IqRouter
from component.muc.events import StaffDirectoryChanged
from component.muc.service import MucService
from component.muc.wire import NS_JSON
from roles.refusal import Refused
from storage.staff import StaffMember

log = logging.getLogger(__name__)
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_PUBSUB_ERRORS = f"{NS_PUBSUB}#errors"
NODE = "floor"
ITEM = "current"
MIN_INTERVAL = 0.5  # seconds between two snapshots: at most two a second
ALERT_CHECK = 1.0
# Actions of XEP-0060 this service does not offer, answered as its §7 and §8 ask.
UNSUPPORTED = {
    "publish": "publish",
    "retract": "retract-items",
    "create": "create-nodes",
    "configure": "config-node",
    "options": "subscription-options",
    "subscriptions": "retrieve-subscriptions",
    "affiliations": "retrieve-affiliations",
    "default": "retrieve-default",
    "purge": "purge-nodes",
    "delete": "delete-nodes",
}


class Floor:
    def __init__(self, muc: MucService, desk: Desk) -> None:
        self.muc = muc
        self.desk = desk
        self.builder = SnapshotBuilder(desk)
        self.subscribers: dict[str, float] = {}  # full JID -> when it expires
        self.current = ""  # the last snapshot's JSON
        self._directory: list[StaffMember] | None = None
        self._last_push = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._building: asyncio.Task[None] | None = None
        self._dirty = False
        self._alerting: set[tuple[str, str]] = set()
        self._ticker: asyncio.Task[None] | None = None
        muc.events.subscribe(StaffDirectoryChanged, self._directory_changed)
        muc.events.subscribe_all(lambda _event: self.changed())

    def register(self, router: IqRouter) -> None:
        router.register("set", NS_PUBSUB, ("service",), self._set)
        router.register("get", NS_PUBSUB, ("service",), self._get)

    def start(self) -> None:
        self._ticker = asyncio.ensure_future(self._check_alerts_forever())

    def stop(self) -> None:
        for task in (self._ticker, self._building):
            if task is not None:
                task.cancel()
        if self._timer is not None:
            self._timer.cancel()

    # -- publishing ---------------------------------------------------------------

    def changed(self) -> None:
        """Something on the floor changed: a snapshot goes out within MIN_INTERVAL."""
        self._dirty = True
        if self._timer is not None or not self.subscribers:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_push + MIN_INTERVAL - time.monotonic())
        self._timer = loop.call_later(delay, self._flush)

    def _flush(self) -> None:
        self._timer = None
        if self._building is not None and not self._building.done():
            # The one being built may predate this change: build again after it.
            self._building.add_done_callback(lambda _: self.changed())
            return
        self._building = asyncio.ensure_future(self._publish())

    async def _publish(self) -> None:
        self._dirty = False
        self._last_push = time.monotonic()
        try:
            await self._build()
        except Exception:
            log.exception("building the floor snapshot failed")
            return
        self.muc.door.pubsub_item(self._live_subscribers(), NODE, ITEM, self.current)

    async def _build(self) -> None:
        if self._directory is None:
            self._directory = await self.muc.staff.list()
        snapshot = await self.builder.build(self._directory)
        self.current = json.dumps(snapshot, separators=(",", ":"))

    def _live_subscribers(self) -> list[str]:
        now = time.time()
        for jid in [j for j, expiry in self.subscribers.items() if expiry <= now]:
            del self.subscribers[jid]
            log.info("floor subscription of %s expired", jid)
        return list(self.subscribers)

    async def _up_to_date(self) -> str:
        """The current snapshot, built again if the floor changed since the last."""
        if not self.current or self._dirty:
            await self._build()
        return self.current

    async def _send_current(self, to: str) -> None:
        await self._up_to_date()
        if to in self.subscribers:
            self.muc.door.pubsub_item([to], NODE, ITEM, self.current)

    def _directory_changed(self, event: StaffDirectoryChanged) -> None:
        self._directory = None
        if event.removed:
            # Their dashboards stop at once, not at the next renewal.
            for jid in [j for j in self.subscribers if JID(j).bare == event.jid]:
                del self.subscribers[jid]

    # -- alerts --------------------------------------------------------------------

    async def _check_alerts_forever(self) -> None:
        while True:
            await asyncio.sleep(ALERT_CHECK)
            try:
                self.check_alerts()
            except Exception:
                log.exception("checking alerts failed")

    def check_alerts(self) -> None:
        now = time.time()
        found = current_alerts(self.desk, now)
        keys = {(chat.id, alert.kind) for _, chat, alert in found}
        if keys != self._alerting:
            self._alerting = keys
            self.changed()
        for _, chat, alert in found:
            if alert.kind not in chat.alerted:
                chat.alerted.add(alert.kind)
                self.desk.announce(f"Alert: {alert_text(chat, alert, now)}")
                log.info("alert %s on %s", alert.kind, chat.id)

    # -- PubSub ----------------------------------------------------------------------

    async def _set(self, iq: Iq, target: Target) -> Iq:
        action = _action(iq)
        name = _local_name(action)
        if name not in ("subscribe", "unsubscribe"):
            raise _unsupported(name)
        await self._check_staff(iq)
        _check_node(action)
        subscriber = _subscriber(iq, action)
        reply = iq.reply(clear=True)
        if name == "unsubscribe":
            self.subscribers.pop(subscriber, None)
            log.info("%s unsubscribed from the floor", subscriber)
            return reply
        expiry = time.time() + self.muc.config.dashboard_subscription
        renewed = subscriber in self.subscribers
        self.subscribers[subscriber] = expiry
        if not renewed:
            log.info("%s subscribed to the floor", subscriber)
        pubsub = ET.SubElement(reply.xml, f"{{{NS_PUBSUB}}}pubsub")
        ET.SubElement(
            pubsub,
            f"{{{NS_PUBSUB}}}subscription",
            {
                "node": NODE,
                "jid": subscriber,
                "subscription": "subscribed",
                "expiry": datetime.fromtimestamp(expiry, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
        if not renewed:
            # After the result (the router sends it when this returns): XEP-0060
            # §6.1.7, the last item on subscription.
            task = asyncio.ensure_future(self._send_current(subscriber))
            task.add_done_callback(_log_failure)
        return reply

    async def _get(self, iq: Iq, target: Target) -> Iq:
        action = _action(iq)
        name = _local_name(action)
        if name != "items":
            raise _unsupported(name)
        await self._check_staff(iq)
        _check_node(action)
        current = await self._up_to_date()
        reply = iq.reply(clear=True)
        pubsub = ET.SubElement(reply.xml, f"{{{NS_PUBSUB}}}pubsub")
        items = ET.SubElement(pubsub, f"{{{NS_PUBSUB}}}items", {"node": NODE})
        item = ET.SubElement(items, f"{{{NS_PUBSUB}}}item", {"id": ITEM})
        ET.SubElement(item, f"{{{NS_JSON}}}json").text = current
        return reply

    async def _check_staff(self, iq: Iq) -> None:
        person = await self.muc.person(iq["from"])
        if person is None or person.role == "visitor":
            raise Refused(
                "not-allowed",
                "The floor is for staff.",
                "cancel",
                app=f"{{{NS_PUBSUB_ERRORS}}}closed-node",
            )


def _action(iq: Iq) -> ET.Element:
    pubsub = iq.xml.find(f"{{{NS_PUBSUB}}}pubsub")
    children = list(pubsub) if pubsub is not None else []
    if len(children) != 1:
        raise Refused("bad-request", "One PubSub action per request.", "modify")
    return children[0]


def _local_name(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _unsupported(name: str) -> Refused:
    return Refused(
        "feature-not-implemented",
        "",
        "cancel",
        app=f"{{{NS_PUBSUB_ERRORS}}}unsupported",
        app_attrs={"feature": UNSUPPORTED.get(name, name)[:64]},
    )


def _check_node(action: ET.Element) -> None:
    if action.get("node") != NODE:
        raise Refused("item-not-found", f"The one node here is {NODE!r}.", "cancel")


def _subscriber(iq: Iq, action: ET.Element) -> str:
    """The subscribing session: the request's own full JID, and no other."""
    sender = iq["from"]
    try:
        asked = JID(action.get("jid", ""))
    except InvalidJID:
        asked = None
    if asked is None or asked != sender or not sender.resource:
        raise Refused(
            "bad-request",
            "Subscribe your own full JID.",
            "modify",
            app=f"{{{NS_PUBSUB_ERRORS}}}invalid-jid",
        )
    return str(sender)


def _log_failure(task: asyncio.Task[Any]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if (error := task.exception()) is not None:
            log.error("sending the floor to a new subscriber failed: %r", error)

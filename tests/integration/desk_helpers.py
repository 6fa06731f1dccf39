"""Helpers for desk tests: a desk with no chats left over from other tests, and
the configuration knobs (timeouts) a test may shorten."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree import ElementTree as ET

from component.dev.stack import DevStack
from roles.nicks import SERVICE_NICK
from tests.integration.client import Client, q

NS_CONFERENCE = "jabber:x:conference"


async def close_all_chats(stack: DevStack) -> None:
    """Close every open chat, as ``!close`` would, so queue places and routing
    start from an empty line."""
    huddle = stack.huddle
    assert huddle is not None and huddle.muc is not None and huddle.desk is not None
    for room, _chat in huddle.desk.chats():
        async with huddle.muc.rooms.locked(room.local):
            if room.chat is not None and room.chat.status != "closed":
                await huddle.desk.close(room, "test cleanup", by="")


@contextmanager
def configured(stack: DevStack, **changes: object) -> Iterator[None]:
    assert stack.huddle is not None and stack.huddle.muc is not None
    muc = stack.huddle.muc
    original = muc.config
    muc.config = dataclasses.replace(original, **changes)  # type: ignore[arg-type]
    try:
        yield
    finally:
        muc.config = original


def invitation_to(room: str):
    def match(s: ET.Element) -> bool:
        x = s.find(q("x", NS_CONFERENCE))
        return s.tag == q("message") and x is not None and x.get("jid") == room

    return match


def desk_notice(desk: str, text: str):
    def match(s: ET.Element) -> bool:
        body = s.find(q("body"))
        return (
            s.get("from") in (desk, f"{desk}/{SERVICE_NICK}")
            and body is not None
            and text in (body.text or "")
        )

    return match


def room_notice(room: str, text: str):
    return desk_notice(room, text)


async def on_desk(client: Client, desk: str, nick: str, show: str = "") -> None:
    show_xml = f"<show>{show}</show>" if show else ""
    client.send(
        f"<presence to='{desk}/{nick}'><x xmlns='http://jabber.org/protocol/muc'/>"
        f"{show_xml}</presence>"
    )
    await client.expect(
        lambda s: s.get("from", "").startswith(desk) and s.find(q("subject")) is not None,
        what="desk subject",
    )


def say(client: Client, to: str, text: str) -> None:
    client.send(f"<message to='{to}' type='groupchat'><body>{text}</body></message>")

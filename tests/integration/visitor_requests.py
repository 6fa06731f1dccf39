"""A visitor who gave her name (and maybe her email) in the pre-chat form, a
chat with Jennie, and its end: what the rating and transcript tests start from."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from tests.integration.client import NS_MUC, NS_USER, Client, groupchat_from, is_subject, q
from tests.integration.desk_helpers import say

NS_VISITOR = "urn:huddle:visitor:0"


@dataclass
class Chat:
    room: str
    visitor: Client
    agent: Client

    @property
    def id(self) -> str:
        return self.room.split("@", 1)[0]

    async def close(self) -> None:
        """Jennie closes the chat; it has ended once the visitor's room is destroyed."""
        say(self.agent, self.room, "!close solved")
        await self.visitor.expect(destroyed(self.room), what="the room destroyed")


def destroyed(room: str):
    def match(s: ET.Element) -> bool:
        return (
            s.tag == q("presence")
            and s.get("from", "").split("/")[0] == room
            and s.get("type") == "unavailable"
            and s.find(f"{q('x', NS_USER)}/{q('destroy', NS_USER)}") is not None
        )

    return match


async def join_with_details(visitor: Client, room: str, name: str, email: str = "") -> None:
    """Join as the widget does: the pre-chat form's answers in the join presence."""
    mail = f"<email>{escape(email)}</email>" if email else ""
    visitor.send(
        f"<presence to='{room}/{escape(name)}'><x xmlns='{NS_MUC}'/>"
        f"<visitor xmlns='{NS_VISITOR}'><name>{escape(name)}</name>{mail}</visitor></presence>"
    )
    await visitor.expect(
        lambda s: is_subject(s) and s.get("from", "").split("/")[0] == room, what="the subject"
    )


async def answered_chat(connect, room: str, name: str = "Mia", email: str = "") -> Chat:
    """Mia asks, Jennie answers: an active chat."""
    visitor = await connect()
    await join_with_details(visitor, room, name, email)
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    say(visitor, room, "Where is my parcel?")
    await agent.expect(groupchat_from(f"{room}/{name} (visitor)", "Where is my parcel?"))
    say(agent, room, "It left our warehouse this morning.")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "It left our warehouse this morning."))
    return Chat(room, visitor, agent)

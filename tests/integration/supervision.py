"""A supervised chat for tests: a visitor, the agent Jennie (visible) and the
supervisor John, hidden. The visitor's client records every byte it receives."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from tests.integration.client import Client, groupchat_from, presence_from, q

OID = "urn:xmpp:occupant-id:0"


@dataclass
class Supervised:
    room: str
    visitor: Client
    agent: Client
    john: Client
    john_oid: str
    revealed: bool = False
    # Set when the visitor itself addresses "John": replies from room/John echo it.
    named_by_visitor: bool = False

    @property
    def visitor_nick(self) -> str:
        return f"{self.room}/Alice (visitor)"

    def secrets(self) -> list[str]:
        """What would identify John; none of it may reach the visitor. His real
        JID never may; his nick and occupant-id only once he is revealed."""
        real = [self.john.bare, self.john.jid.split("/", 1)[1]]
        if self.revealed:
            return real
        return [self.john_oid, *real] if self.named_by_visitor else ["John", self.john_oid, *real]

    def assert_no_leak(self) -> None:
        raw = self.visitor.raw
        for secret in self.secrets():
            assert secret not in raw, f"{secret!r} reached the visitor"

    async def sync_visitor(self, text: str = "sync") -> None:
        """A visible message after the act under test: once the visitor has it, the
        room has dealt with everything sent before (one room, one order)."""
        self.agent.send(f"<message to='{self.room}' type='groupchat'><body>{text}</body></message>")
        await self.visitor.expect(groupchat_from(f"{self.room}/Jennie", text))


async def supervised_chat(connect, room: str) -> Supervised:
    visitor = await connect()
    await visitor.join(room, "Alice")
    agent = await connect("jennie")
    await agent.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))
    john = await connect("john")
    await john.join(room, "John")
    seen = await agent.expect(presence_from(f"{room}/John"))
    oid = seen.find(q("occupant-id", OID)).get("id")
    return Supervised(room, visitor, agent, john, oid)


def normalized(stanza: ET.Element, replacements: dict[str, str]) -> str:
    """A stanza as text with ids removed and the given strings replaced, for
    comparing the answer about a hidden nick with the answer about an absent one."""
    text = ET.tostring(stanza, encoding="unicode")
    text = re.sub(r' id="[^"]*"', "", text)
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text

"""A real XMPP client for tests: slixmpp over loopback, recording every byte.

Tests read like a conversation: ``await visitor.send(...)``, then
``await visitor.expect(...)`` waits (with a timeout, never a sleep) for the next
stanza that matches; ``visitor.raw`` holds every byte received, for leak checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from xml.etree import ElementTree as ET

from slixmpp import ClientXMPP

NS = "jabber:client"
NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = "http://jabber.org/protocol/muc#user"
TIMEOUT = 10.0
_ids = itertools.count(1)

Match = Callable[[ET.Element], bool]


def q(tag: str, ns: str = NS) -> str:
    return f"{{{ns}}}{tag}"


class Recorder(ClientXMPP):
    def __init__(self, jid: str, password: str, **kwargs: object) -> None:
        super().__init__(jid, password, **kwargs)
        self.raw = bytearray()
        self.stanzas: list[ET.Element] = []
        self.arrived = asyncio.Event()
        self.enable_starttls = False
        self.enable_direct_tls = False
        self.enable_plaintext = True
        self.plugin["feature_mechanisms"].unencrypted_plain = True
        # Auto-answers would be traffic the test did not ask for.
        self.remove_handler("Presence")

    def data_received(self, data: bytes) -> None:
        self.raw.extend(data)
        super().data_received(data)

    def incoming_filter(self, xml: ET.Element) -> ET.Element:
        if xml.tag in (q("message"), q("presence"), q("iq")):
            self.stanzas.append(xml)
            self.arrived.set()
        return xml


class Client:
    """One logged-in session."""

    def __init__(self, xmpp: Recorder) -> None:
        self.xmpp = xmpp
        self.cursor = 0

    @property
    def jid(self) -> str:
        return str(self.xmpp.boundjid)

    @property
    def bare(self) -> str:
        return self.xmpp.boundjid.bare

    @property
    def raw(self) -> str:
        return self.xmpp.raw.decode("utf-8", "replace")

    @classmethod
    async def login(
        cls, host: str, port: int, jid: str, password: str = "", resource: str = ""
    ) -> Client:
        if password:
            xmpp = Recorder(f"{jid}/{resource}" if resource else jid, password)
        else:
            xmpp = Recorder(jid, "", sasl_mech="ANONYMOUS")
        started = asyncio.Event()
        xmpp.add_event_handler("session_start", lambda _: started.set())
        xmpp.connect(host, port)
        await asyncio.wait_for(started.wait(), TIMEOUT)
        return cls(xmpp)

    async def close(self) -> None:
        await self.xmpp.disconnect(wait=1.0)

    def send(self, xml: str) -> None:
        self.xmpp.send_raw(xml)

    async def expect(self, match: Match, timeout: float = TIMEOUT, what: str = "") -> ET.Element:
        """The next stanza after the cursor that matches; earlier ones are skipped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index in range(self.cursor, len(self.xmpp.stanzas)):
                stanza = self.xmpp.stanzas[index]
                if match(stanza):
                    self.cursor = index + 1
                    return stanza
            self.xmpp.arrived.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{self.jid} did not receive {what or match}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.xmpp.arrived.wait(), remaining)

    async def iq(self, to: str, payload: str, iq_type: str = "get") -> ET.Element:
        iq_id = f"iq{next(_ids)}"
        self.send(f"<iq type='{iq_type}' to='{to}' id='{iq_id}'>{payload}</iq>")
        return await self.expect(
            lambda s: s.tag == q("iq") and s.get("id") == iq_id, what=f"reply to {iq_id}"
        )

    async def join(
        self, room: str, nick: str, history: str = "", presence_id: str = ""
    ) -> list[ET.Element]:
        """Join and return everything up to and including the subject."""
        pid = presence_id or f"join{next(_ids)}"
        start = len(self.xmpp.stanzas)
        self.send(
            f"<presence to='{room}/{nick}' id='{pid}'><x xmlns='{NS_MUC}'>{history}</x></presence>"
        )
        await self.expect(
            lambda s: (
                (is_subject(s) and s.get("from", "").split("/")[0] == room)
                or (s.tag == q("presence") and s.get("type") == "error" and s.get("id") == pid)
            ),
            what=f"the end of joining {room}",
        )
        return self.xmpp.stanzas[start : self.cursor]

    def since(self, mark: int) -> list[ET.Element]:
        return self.xmpp.stanzas[mark:]

    def mark(self) -> int:
        return len(self.xmpp.stanzas)


def is_subject(s: ET.Element) -> bool:
    return s.tag == q("message") and s.find(q("subject")) is not None and s.find(q("body")) is None


def codes(s: ET.Element) -> set[str]:
    x = s.find(q("x", NS_USER))
    return {c.get("code", "") for c in x.findall(q("status", NS_USER))} if x is not None else set()


def error_condition(s: ET.Element) -> str:
    err = s.find(q("error"))
    assert err is not None, ET.tostring(s)
    names = [c.tag.partition("}")[2] for c in err if c.tag.partition("}")[2] != "text"]
    return f"{err.get('type')}/{names[0]}"


def presence_from(jid: str, ptype: str | None = None) -> Match:
    return lambda s: s.tag == q("presence") and s.get("from") == jid and s.get("type") == ptype


def groupchat_from(jid: str, body: str | None = None) -> Match:
    def match(s: ET.Element) -> bool:
        if s.tag != q("message") or s.get("from") != jid or s.get("type") != "groupchat":
            return False
        b = s.find(q("body"))
        return b is not None and (body is None or b.text == body)

    return match

"""poezio, a terminal XMPP client, as a staff member's client, driven through tmux.

Jennie sits on the desk in poezio: a visitor's new chat is announced there by the
service occupant Huddle and offered to her by invitation; she joins and answers.
John supervises hidden from a slixmpp client: poezio shows him as a member whose
status says he is hidden, shows his whisper, and Jennie's own whisper comes back
marked and confirmed. When John speaks, the visitor sees him join first. Last,
Huddle's list-chats ad-hoc command, run from poezio, shows the chat in a form.

Messages are judged from poezio's own chat logs; what it does not log (the
invitation line, the occupant list, ``/info``, the form) from its screen.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from component.dev.stack import DevStack
from roles.nicks import SERVICE_NICK
from tests.integration.client import groupchat_from, presence_from
from tests.integration.conftest import desk
from tests.terminal.conftest import _require
from tests.terminal.poezio import KeyPane, Poezio, next_second

# The desk fixture, taken from the integration tests: a desk with no chats left open.
__all__ = ["desk"]

pytestmark = [pytest.mark.terminal, pytest.mark.integration]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "terminal"


@pytest.fixture
async def poezio(request: pytest.FixtureRequest) -> AsyncIterator[Poezio]:
    _require("poezio", "tmux", "setpriv")
    # A socket path must fit in 108 bytes; pytest's tmp_path for a long test name may not.
    sockets = Path(tempfile.mkdtemp(prefix="huddle-tmux-"))
    client = Poezio(KeyPane(sockets / "tmux.sock"))
    try:
        yield client
    finally:
        # Its logs, XML debug log and last screen, for a failure seen only in CI.
        await client.stop(keep=ARTIFACTS / request.node.name)
        shutil.rmtree(sockets, ignore_errors=True)


def say(client, room: str, text: str) -> None:
    client.send(f"<message to='{room}' type='groupchat'><body>{text}</body></message>")


def said(client, room: str, nick: str) -> bool:
    """Whether ``client`` has received anything from ``nick`` in ``room``."""
    return any(s.get("from") == f"{room}/{nick}" for s in client.xmpp.stanzas)


async def test_jennie_on_poezio_takes_a_chat_and_works_with_a_hidden_supervisor(
    stack: DevStack, connect, room, desk, poezio
):
    info = stack.info
    jennie = next(a for a in info.accounts if a.jid.startswith("jennie@"))
    await poezio.start(
        jennie.jid, jennie.password, info.c2s_host, info.c2s_port, stack.prosody.certificate().cert
    )
    await poezio.join(desk, "Jennie")

    # A visitor opens a chat: the desk announces it from Huddle with its join link,
    # and the offer reaches poezio as an invitation from the service's domain.
    visitor = await connect()
    await visitor.join(room, "Vera")
    say(visitor, room, "My refund is late")
    await poezio.pane.wait_for(
        rf"You are invited to the room {re.escape(room)} by {re.escape(info.service)}"
    )
    await poezio.wait_for_message(
        desk, SERVICE_NICK, rf"^New chat .*“Vera”.* xmpp:{re.escape(room)}\?join$"
    )
    await poezio.wait_for_message(desk, SERVICE_NICK, r"visitor “Vera”: “My refund is late”")

    # Jennie joins from poezio: she reads the question, the visitor sees her arrive
    # and gets her answer. (Joining in the question's own second, poezio would not
    # fetch it: see next_second.)
    await next_second()
    await poezio.join(room, "Jennie")
    await poezio.wait_for_info(room, rf"^{SERVICE_NICK} set the subject to: ")
    await poezio.wait_for_message(room, "Vera (visitor)", r"^My refund is late$")
    await visitor.expect(presence_from(f"{room}/Jennie"), what="Jennie's presence")
    await poezio.say("Hello Vera, let me look at that")
    await visitor.expect(
        groupchat_from(f"{room}/Jennie", "Hello Vera, let me look at that"), what="Jennie's answer"
    )

    # John joins hidden: a member ("+" in poezio's occupant list) whose status says so.
    john = await connect("john")
    await john.join(room, "John")
    await poezio.wait_for_message(
        room, SERVICE_NICK, r"^John is supervising this chat, hidden from the visitor"
    )
    await poezio.pane.wait_for(r"(?m)\+John\s*$")
    await poezio.command("/info John")
    await poezio.pane.wait_for(
        r"John \(\S+\): show: \S+, affiliation: member, role: \w+[^\n]*\n"
        r"[^\n]*Hidden from the visitor"
    )

    # Whispers: John's shows as one; Jennie's comes back marked, with a receipt.
    say(john, room, "!w She paid twice")
    await poezio.wait_for_message(room, "John", r"^\[whisper\] She paid twice$")
    await poezio.say("!w I will refund one")
    await poezio.wait_for_message(room, "Jennie", r"^\[whisper\] I will refund one$")
    await poezio.wait_for_message(room, SERVICE_NICK, r"^Only staff saw: “I will refund one”$")

    # Nothing of John reached the visitor before a message the room sent after his
    # join and whisper: a room delivers in order.
    await poezio.say("One moment please")
    await visitor.expect(groupchat_from(f"{room}/Jennie", "One moment please"))
    assert not said(visitor, room, "John")

    # John speaks: the visitor sees him join, then his message; poezio shows it too.
    say(john, room, "Your refund left today")
    await visitor.expect(presence_from(f"{room}/John"), what="John's join")
    await visitor.expect(groupchat_from(f"{room}/John", "Your refund left today"))
    await poezio.wait_for_message(room, "John", r"^Your refund left today$")
    for whisper in ("She paid twice", "I will refund one"):
        assert whisper not in visitor.raw
    assert not said(visitor, room, SERVICE_NICK)

    # The list-chats ad-hoc command from poezio: one field per chat in a form tab.
    await poezio.adhoc(info.service, "list-chats")
    await poezio.pane.wait_for(
        rf"{re.escape(room.split('@')[0])}\s+Status: active · Team: support · "
        r"Visitor: “Vera” · Agent: Jennie"
    )

    assert poezio.errors() == ""

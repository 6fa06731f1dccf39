"""Jennie, an agent, on Gajim 1.7.3: she logs in, joins the desk and a visitor's
chat from her bookmarks, reads her colleague and the visitor, and answers by
typing into Gajim. Judged from Gajim's log and its logs.db.

One Gajim serves the whole module (it takes seconds to start); the tests run in
order and each waits for what it needs, so any one of them also runs alone.

This module is about what Jennie reads and types, not about offers: Gajim joins
the visitor's chat before the desk, so the chat is already hers when she sits
down there and the desk offers her nothing. An offer is a XEP-0249 invitation,
which Gajim 1.7.3 handles only from senders it does not take for a group chat
(gajim/gtk/notification_manager.py), and it stores a group chat message only
from an occupant with a nick (gajim/common/modules/message.py).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from component.dev.stack import DevStack
from tests.clients.bookmarks import clear_bookmarks, publish_bookmark
from tests.clients.gajim import GC_MSG, Gajim
from tests.integration.client import Client, groupchat_from, presence_from
from tests.integration.desk_helpers import close_all_chats

pytestmark = pytest.mark.clients

VISITOR = "Vera"
# Gajim joins a room bookmarked while it is online 10 s after the bookmark arrives
# (gajim/common/modules/bookmarks.py: time to finish configuring a new room).
LIVE_BOOKMARK_JOIN = 30.0


@dataclass
class Scene:
    gajim: Gajim
    visitor: Client
    chat: str
    desk: str
    # Jennie's nick in rooms: staff get their directory name, whatever they ask for.
    nick: str


@pytest.fixture(scope="module")
async def scene(stack: DevStack, gajim: Callable[[str], Gajim]) -> AsyncIterator[Scene]:
    info = stack.info
    # Chats left open by other modules would be offered to Jennie on the desk.
    await close_all_chats(stack)
    account = next(a for a in info.accounts if a.jid == f"jennie@{info.staff_domain}")
    nick = account.name
    visitor = await Client.login(info.c2s_host, info.c2s_port, info.visitor_domain)
    jennie = await Client.login(
        info.c2s_host, info.c2s_port, account.jid, account.password, "bookmarks"
    )
    client = gajim("jennie")
    try:
        chat = f"chat-{secrets.token_hex(16)}@{info.service}"
        await visitor.join(chat, VISITOR)
        await clear_bookmarks(jennie)
        await publish_bookmark(jennie, chat, nick, name=VISITOR)
        await client.start()
        await client.wait_connected()
        await client.wait_joined(chat)
        # Only now the desk: the chat is assigned to Jennie, so joining the desk
        # brings her no invitation (see the module's docstring).
        await publish_bookmark(jennie, info.desk, nick, name="Desk")
        yield Scene(client, visitor, chat, info.desk, nick)
    finally:
        await jennie.close()
        await visitor.close()


async def test_gajim_logs_in_and_joins_the_desk_from_its_bookmark(
    scene: Scene, connect: Callable[..., Awaitable[Client]]
) -> None:
    await scene.gajim.wait_joined(scene.desk, LIVE_BOOKMARK_JOIN)
    josh = await connect("josh")
    joined = await josh.join(scene.desk, "Josh")
    assert any(presence_from(f"{scene.desk}/{scene.nick}")(s) for s in joined), (
        "Josh does not see Jennie on the desk"
    )
    await scene.gajim.screenshot("desk-joined")


async def test_a_colleague_on_the_desk_is_stored_by_gajim(
    scene: Scene, connect: Callable[..., Awaitable[Client]]
) -> None:
    await scene.gajim.wait_joined(scene.desk, LIVE_BOOKMARK_JOIN)
    josh = await connect("josh")
    await josh.join(scene.desk, "Josh")
    text = f"Anyone free for a refund question? {secrets.token_hex(4)}"
    josh.send(f"<message type='groupchat' to='{scene.desk}'><body>{text}</body></message>")
    row = await scene.gajim.wait_for_row(
        scene.desk, lambda r: r.message == text, what="Josh's desk message"
    )
    assert (row.nick, row.kind) == ("Josh", GC_MSG)


async def test_gajim_reads_the_visitor_and_its_typed_answer_reaches_them(scene: Scene) -> None:
    gajim, visitor, chat, nick = scene.gajim, scene.visitor, scene.chat, scene.nick
    await visitor.expect(presence_from(f"{chat}/{nick}"), what="Jennie joining the chat")
    question = f"Hello, where is my parcel? {secrets.token_hex(4)}"
    visitor.send(f"<message type='groupchat' to='{chat}'><body>{question}</body></message>")
    row = await gajim.wait_for_row(chat, lambda r: r.message == question, what="the question")
    assert row.nick == f"{VISITOR} (visitor)"

    await gajim.open_chat(chat)
    answer = f"Hi Vera, let me look it up {secrets.token_hex(4)}"
    await gajim.type(answer)
    # Gajim stores its own group chat message only when the room reflects it.
    mine = await gajim.wait_for_row(chat, lambda r: r.message == answer, what="its own answer")
    assert mine.nick == nick
    await visitor.expect(groupchat_from(f"{chat}/{nick}", answer), what="Jennie's answer")
    await gajim.screenshot("chat-answered")


async def test_gajim_logged_no_traceback(scene: Scene) -> None:
    # Last in the module: it judges everything Gajim went through above.
    await scene.gajim.wait_connected()
    assert scene.gajim.tracebacks() == []
    assert await scene.gajim.error_dialogs() == [], "Gajim shows an error dialog"

"""Jennie, an agent, on Dino 0.4.2: the seed's flow as Dino goes through it.

Dino joins the desk from her bookmarks; a visitor's new chat is announced
there and offered to her as an invitation, which Dino shows as a desktop
notification; she accepts it and joins from Dino's own join dialog (its nick
is her account alias); she reads the visitor and answers by typing into Dino.
John, a supervisor (a slixmpp client), joins hidden: Dino lists him under
"Member"; his whisper reaches Dino as a whisper, hers is confirmed by the
service; when he speaks the visitor sees him arrive. Judged from Dino's
dino.db, its log and its accessibility tree; screenshots in
test-artifacts/clients/.

One Dino serves the whole module (seconds to start). The tests run in order;
each step of the flow runs once, when the first test that needs it asks, so
any one test also runs alone.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from component.dev.stack import DevStack
from tests.clients.bookmarks import clear_bookmarks, publish_bookmark
from tests.clients.dino import (
    GROUPCHAT,
    RECEIVED,
    SENT,
    SYSTEM_PATH,
    SYSTEM_PYTHON,
    Dino,
    DinoAccount,
    MessageRow,
    button,
)
from tests.integration.client import Client, groupchat_from, presence_from, q
from tests.integration.desk_helpers import close_all_chats

pytestmark = pytest.mark.clients

NICK = "Jennie"
VISITOR = "Vera"
SUPERVISOR = "John"
SERVICE_NICK = "Huddle"
PROGRAMS = ("Xvfb", "dino-im", "dbus-daemon", "xdotool", "import", "unshare", "nsenter", "mount")
# What the session helper (tests/clients/dino_session.py) imports.
HELPER_CHECK = "import gi; gi.require_version('Atspi', '2.0'); from gi.repository import Atspi"


def require_dino() -> None:
    path = f"{os.environ.get('PATH', '')}:{SYSTEM_PATH}"
    problems = [f"{name} not installed" for name in PROGRAMS if not shutil.which(name, path=path)]
    helper = subprocess.run([SYSTEM_PYTHON, "-c", HELPER_CHECK], capture_output=True, check=False)
    if helper.returncode != 0:
        problems.append(f"{SYSTEM_PYTHON} lacks PyGObject or the AT-SPI typelib")
    if os.geteuid() != 0:
        # unshare and nsenter: Dino's private network (tests/clients/netns.py).
        problems.append("not root")
    if not problems:
        return
    reason = f"{'; '.join(problems)} (scripts/setup.sh installs what is missing)"
    # CI installs them with scripts/setup.sh and runs as root: a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Scene:
    dino: Dino
    visitor: Client
    john: Client
    chat: str
    desk: str
    _steps: dict[str, asyncio.Future[Any]] = field(default_factory=dict)

    @property
    def short(self) -> str:
        """The chat's id as staff see it: ``[1a2b3c4d]``."""
        return self.chat.split("@", 1)[0].removeprefix("chat-")[:8]

    async def once(self, name: str, step: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``step`` the first time ``name`` is asked for; later askers get its
        result, or its failure."""
        if name not in self._steps:
            self._steps[name] = asyncio.ensure_future(step())
        return await self._steps[name]

    def say(self, client: Client, text: str) -> None:
        client.send(f"<message type='groupchat' to='{self.chat}'><body>{text}</body></message>")

    # -- the flow, step by step ------------------------------------------------------

    async def asked(self) -> str:
        """The visitor opens the chat and asks; Dino is on the desk by then, so the
        announcement and the offer reach it."""

        async def step() -> str:
            await self.dino.wait_joined(self.desk)
            question = f"Hello, where is my parcel? {secrets.token_hex(4)}"
            await self.visitor.join(self.chat, VISITOR)
            self.say(self.visitor, question)
            return question

        return await self.once("asked", step)

    async def joined(self) -> MessageRow:
        """Jennie accepts the offer from Dino's notification and joins from its
        dialog; the visitor asks again; returns that as Dino stored it.

        Again, because of how Dino catches up: the notification made a
        conversation for the room, so on joining Dino asks the room's archive
        only for what came after that moment (libdino/src/service/
        muc_manager.vala:67 and :117, the conversation's ``active_last_changed``),
        with no MUC history (:77, the room has MAM). A question asked with the
        offer under way is shown or not by the second it fell in; the desk's
        announcement quotes it either way.
        """

        async def step() -> MessageRow:
            await self.asked()
            dino = self.dino
            offer = await dino.wait_for_notification(
                lambda n: self.chat in n.summary, what=f"invitation to {self.chat}"
            )
            await dino.accept_invitation(offer, self.chat)
            dialog = await dino.wait_for_dialog("Join Channel")
            join = button(dialog, "Join")
            assert join is not None, [n.name for n in dialog]
            await dino.screenshot("join-dialog")
            await dino.press(join)
            await dino.wait_joined(self.chat)
            await self.visitor.expect(presence_from(f"{self.chat}/{NICK}"), what="Jennie joining")
            again = f"Are you there? It was due on Monday {secrets.token_hex(4)}"
            self.say(self.visitor, again)
            return await dino.wait_for_row(
                self.chat, lambda r: r.body == again, what="the visitor's question"
            )

        return await self.once("joined", step)

    async def answered(self) -> str:
        async def step() -> str:
            await self.joined()
            answer = f"Hi Vera, let me look it up {secrets.token_hex(4)}"
            await self.dino.select(self.chat)
            await self.dino.type(answer)
            return answer

        return await self.once("answered", step)

    async def supervised(self) -> None:
        """John joins the chat, hidden from the visitor."""

        async def step() -> None:
            await self.answered()
            mark = self.visitor.mark()
            notice = f"{SUPERVISOR} is supervising this chat"
            await self.john.join(self.chat, SUPERVISOR)
            await self.dino.wait_for_row(
                self.chat,
                lambda r: r.nick == SERVICE_NICK and (r.body or "").startswith(notice),
                what="the notice that John supervises",
            )
            assert not [
                s
                for s in self.visitor.since(mark)
                if s.tag == q("presence") and s.get("from") == f"{self.chat}/{SUPERVISOR}"
            ], "the visitor saw hidden John join"

        await self.once("supervised", step)


@pytest.fixture(scope="module")
async def scene(stack: DevStack) -> AsyncIterator[Scene]:
    require_dino()
    info = stack.info
    # Chats left open by other modules would be offered to Jennie on the desk.
    await close_all_chats(stack)
    password = {a.jid.split("@", 1)[0]: a.password for a in info.accounts}
    jennie = await Client.login(
        info.c2s_host, info.c2s_port, f"jennie@{info.staff_domain}", password["jennie"], "bm"
    )
    visitor = await Client.login(info.c2s_host, info.c2s_port, info.visitor_domain)
    john = await Client.login(
        info.c2s_host, info.c2s_port, f"john@{info.staff_domain}", password["john"], "test"
    )
    dino = Dino(
        DinoAccount(
            jid=f"jennie@{info.staff_domain}",
            password=password["jennie"],
            alias=NICK,
            certificate=stack.prosody.certificate().cert,
            c2s_host=info.c2s_host,
            c2s_port=info.c2s_port,
        )
    )
    try:
        # Dino joins the desk at login: its only bookmark.
        await clear_bookmarks(jennie)
        await publish_bookmark(jennie, info.desk, NICK, name="Desk")
        await jennie.close()
        await dino.start()
        yield Scene(dino, visitor, john, f"chat-{secrets.token_hex(16)}@{info.service}", info.desk)
    finally:
        try:
            if dino.running:
                await dino.screenshot("end")
        finally:
            await dino.stop()
            dino.cleanup()
            for client in (visitor, john):
                await client.close()
            await close_all_chats(stack)


async def test_dino_joins_the_desk_and_stores_the_new_chat_announcement(scene: Scene) -> None:
    await scene.asked()
    row = await scene.dino.wait_for_row(
        scene.desk,
        lambda r: (r.body or "").startswith(f"New chat [{scene.short}]"),
        what="the new chat's announcement",
    )
    assert (row.nick, row.type, row.direction) == (SERVICE_NICK, GROUPCHAT, RECEIVED)
    assert f"visitor “{VISITOR}”" in (row.body or "")
    assert f"xmpp:{scene.chat}?join" in (row.body or "")
    question = await scene.asked()
    quoted = await scene.dino.wait_for_row(
        scene.desk, lambda r: question in (r.body or ""), what="the visitor's first words"
    )
    assert quoted.body == f"[{scene.short}] visitor “{VISITOR}”: “{question}”"
    assert quoted.nick == SERVICE_NICK
    await scene.dino.screenshot("desk")


async def test_dino_shows_the_offer_as_an_invitation_and_joins_from_it(scene: Scene) -> None:
    question = await scene.joined()
    assert question.nick == f"{VISITOR} (visitor)"
    offer = next(n for n in scene.dino.notifications if scene.chat in n.summary)
    assert offer.summary == f"Invitation to {scene.chat}"
    # The inviter is the service's domain (a XEP-0249 invitation from it).
    assert offer.body.endswith(f"invited you to {scene.chat}")
    assert ["accept", "Accept"] in offer.actions


async def test_jennie_answers_the_visitor_by_typing_into_dino(scene: Scene) -> None:
    answer = await scene.answered()
    mine = await scene.dino.wait_for_row(scene.chat, lambda r: r.body == answer, what="her answer")
    assert (mine.direction, mine.type) == (SENT, GROUPCHAT)
    await scene.visitor.expect(groupchat_from(f"{scene.chat}/{NICK}", answer), what="the answer")
    await scene.dino.screenshot("answered")


async def test_dino_lists_a_hidden_supervisor_as_a_member(scene: Scene) -> None:
    await scene.supervised()
    groups = await scene.dino.occupants(
        until=lambda groups: any(SUPERVISOR in names for names in groups.values()),
        screenshot="occupants",
    )
    assert groups.get("Member") == [SUPERVISOR], groups
    assert NICK in groups.get("Admin", []), groups
    assert f"{VISITOR} (visitor)" in groups.get("User", []), groups


async def test_a_supervisors_whisper_reaches_dino_as_a_whisper(scene: Scene) -> None:
    await scene.supervised()
    text = f"Refund approved, five days {secrets.token_hex(4)}"
    scene.say(scene.john, f"!w {text}")
    row = await scene.dino.wait_for_row(
        scene.chat, lambda r: r.body == f"[whisper] {text}", what="John's whisper"
    )
    assert (row.nick, row.direction) == (SUPERVISOR, RECEIVED)
    await scene.john.expect(
        groupchat_from(f"{scene.chat}/{SERVICE_NICK}", f"Only staff saw: “{text}”"),
        what="his receipt",
    )
    assert text not in scene.visitor.raw


async def test_jennie_whispers_from_dino_and_is_told_only_staff_saw_it(scene: Scene) -> None:
    await scene.supervised()
    text = f"She ordered twice {secrets.token_hex(4)}"
    await scene.dino.select(scene.chat)
    await scene.dino.type(f"!w {text}")
    # Dino shows her own copy as she typed it (it takes the room's reflection,
    # "[whisper] …", for that same message); the receipt tells her who saw it.
    await scene.dino.wait_for_row(
        scene.chat, lambda r: r.direction == SENT and r.body == f"!w {text}", what="her copy"
    )
    receipt = await scene.dino.wait_for_row(
        scene.chat,
        lambda r: r.nick == SERVICE_NICK and text in (r.body or ""),
        what="the whisper's receipt",
    )
    assert receipt.body == f"Only staff saw: “{text}”"
    await scene.john.expect(
        groupchat_from(f"{scene.chat}/{NICK}", f"[whisper] {text}"), what="Jennie's whisper"
    )
    assert text not in scene.visitor.raw
    await scene.dino.screenshot("whispered")


async def test_the_visitor_sees_the_supervisor_arrive_when_he_speaks(scene: Scene) -> None:
    await scene.supervised()
    text = f"Hello Vera, I am John from Accounts {secrets.token_hex(4)}"
    mark = scene.visitor.mark()
    scene.say(scene.john, text)
    await scene.visitor.expect(groupchat_from(f"{scene.chat}/{SUPERVISOR}", text), what="John")
    arrived = [
        index
        for index, s in enumerate(scene.visitor.since(mark))
        if s.tag == q("presence") and s.get("from") == f"{scene.chat}/{SUPERVISOR}"
    ]
    spoke = next(
        index
        for index, s in enumerate(scene.visitor.since(mark))
        if groupchat_from(f"{scene.chat}/{SUPERVISOR}", text)(s)
    )
    assert arrived and arrived[0] < spoke, "the visitor did not see John join before he spoke"
    row = await scene.dino.wait_for_row(scene.chat, lambda r: r.body == text, what="John's words")
    assert row.nick == SUPERVISOR
    await scene.dino.screenshot("revealed")


async def test_dino_went_through_it_without_a_crash(scene: Scene) -> None:
    # Last in the module: it judges everything Dino went through above, the
    # rooms' MAM queries included (Dino 0.4.2 crashed on MUCs that advertise MAM
    # when the server had none; the dev Prosody has it on the staff host).
    await scene.dino.wait_joined(scene.desk)
    assert scene.dino.running, f"Dino ended:\n{scene.dino.log()[-2000:]}"
    assert scene.dino.problems() == []

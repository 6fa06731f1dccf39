"""Staff on Gajim 1.7.3. Jennie, an agent, logs in, joins the desk and a visitor's
chat from her bookmarks, reads her colleague and the visitor, and answers by
typing into Gajim. Then the seed's flow: a new chat is announced on the desk and
offered to her as an invitation, which she accepts in Gajim and answers; John, a
supervisor on a second Gajim, asks the desk to supervise it, accepts that
invitation, is told he is hidden, whispers, then speaks and is revealed to the
visitor. Judged from each Gajim's log and its logs.db, and from what the
visitor's own client (slixmpp) receives.

One Gajim per person serves the whole module (each takes seconds to start); the
tests run in order and each waits for, or does, what it needs first, so any one
of them also runs alone.

For her first chat, Gajim joins the visitor's chat before the desk, so the chat
is already hers when she sits down there and the desk offers her nothing. Gajim
1.7.3 handles an invitation only from a sender it does not take for a group chat
(gajim/gtk/notification_manager.py): Huddle's come from the service's domain. It
stores a group chat message only from an occupant with a nick
(gajim/common/modules/message.py): staff hear the room through its service
occupant, Huddle.

Offers are accepted as a user accepts them, with one substitution: Gajim shows
an invitation as a desktop notification, and Xvfb has no notification server, so
the test activates the notification's action itself (the account page, where the
invitation's row is). "Show" on that row and "Join" in the invitation window are
pressed in Gajim, through its accessibility interface (tests/clients/gajim.py).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest

from component.dev.stack import DevStack
from tests.clients.bookmarks import clear_bookmarks, publish_bookmark, publish_nickname
from tests.clients.gajim import GC_MSG, Gajim, LogRow
from tests.integration.client import Client, groupchat_from, presence_from, q
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
        # As the README's setup has staff do (Profile → Nickname): the nick Gajim
        # asks for when it joins a room it has no bookmark of, from an invitation.
        await publish_nickname(jennie, nick)
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


# -- the seed's flow: an offer taken in Gajim, a supervisor on Gajim ---------------

SEED_VISITOR = "Nora"
WHISPER = "refund it"


@dataclass
class Seed:
    """A second visitor's chat, offered to Jennie; John supervising it on his own
    Gajim. Each step runs once, when the first test needs it."""

    stack: DevStack
    jennie: Gajim
    john: Gajim
    visitor: Client
    chat: str
    desk: str
    question: str
    _steps: dict[str, asyncio.Future[None]] = field(default_factory=dict)

    @property
    def short(self) -> str:
        """The chat's id as staff read it: ``[xxxxxxxx]``."""
        return self.chat.split("@", 1)[0].removeprefix("chat-")[:8]

    @property
    def name(self) -> str:
        """The room's name, as Gajim shows it from the room's disco#info."""
        return f"Chat with “{SEED_VISITOR}” [{self.short}]"

    async def _once(self, step: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        # A failed step fails every test that needs it, with its own error.
        if step not in self._steps:
            self._steps[step] = asyncio.ensure_future(run())
        await self._steps[step]

    async def opened(self) -> None:
        """Jennie sits on the desk; then the visitor opens the chat and asks."""

        async def run() -> None:
            await self.jennie.wait_joined(self.desk, LIVE_BOOKMARK_JOIN)
            await self.visitor.join(self.chat, SEED_VISITOR)
            say(self.visitor, self.chat, self.question)

        await self._once("opened", run)

    async def accepted(self) -> None:
        """Jennie accepts the desk's offer in Gajim and is in the chat."""

        async def run() -> None:
            await self.opened()
            await self.jennie.accept_invitation(self.chat, self.stack.info.service, self.name)

        await self._once("accepted", run)

    async def supervising(self) -> None:
        """John, on the desk in his Gajim, types ``!supervise`` and accepts the
        invitation it brings."""

        async def run() -> None:
            await self.accepted()
            await self.john.wait_connected()
            await self.john.wait_joined(self.desk)
            await self.john.open_chat(self.desk)
            await self.john.type(f"!supervise {self.short}")
            await self.john.accept_invitation(self.chat, self.stack.info.service, self.name)

        await self._once("supervising", run)

    async def whispered(self) -> None:
        """John types a whisper into the chat."""

        async def run() -> None:
            await self.supervising()
            await self.john.open_chat(self.chat)
            await self.john.type(f"!w {WHISPER}")

        await self._once("whispered", run)

    async def staff_only_so_far(self) -> str:
        """Everything the visitor has received up to now. The room delivers in
        order: once her own next message comes back to her, anything sent to her
        before it has arrived."""
        probe = f"Still there? {secrets.token_hex(4)}"
        say(self.visitor, self.chat, probe)
        await self.visitor.expect(
            groupchat_from(f"{self.chat}/{SEED_VISITOR} (visitor)", probe),
            what="her own message back",
        )
        return self.visitor.raw


def say(client: Client, room: str, text: str) -> None:
    client.send(f"<message type='groupchat' to='{room}'><body>{text}</body></message>")


@pytest.fixture(scope="module")
async def seed(scene: Scene, stack: DevStack, gajim: Callable[[str], Gajim]) -> AsyncIterator[Seed]:
    info = stack.info
    john_account = next(a for a in info.accounts if a.jid == f"john@{info.staff_domain}")
    visitor = await Client.login(info.c2s_host, info.c2s_port, info.visitor_domain)
    john = await Client.login(
        info.c2s_host, info.c2s_port, john_account.jid, john_account.password, "bookmarks"
    )
    client = gajim("john")
    try:
        # John sits on the desk from the start (a bookmark read at login joins at
        # once); his Gajim starts now and logs in while Jennie's part runs. Only
        # agents of the chat's team get offers: he is a supervisor of another.
        await clear_bookmarks(john)
        await publish_nickname(john, john_account.name)
        await publish_bookmark(john, info.desk, john_account.name, name="Desk")
        await client.start()
        yield Seed(
            stack=stack,
            jennie=scene.gajim,
            john=client,
            visitor=visitor,
            chat=f"chat-{secrets.token_hex(16)}@{info.service}",
            desk=info.desk,
            question=f"My parcel never came, can I get a refund? {secrets.token_hex(4)}",
        )
    finally:
        await john.close()
        await visitor.close()


def by(nick: str, text: str | re.Pattern[str]) -> Callable[[LogRow], bool]:
    """A group chat row of Gajim's from ``nick`` whose text is ``text`` (or matches it)."""

    def match(row: LogRow) -> bool:
        if row.nick != nick or row.kind != GC_MSG or row.message is None:
            return False
        if isinstance(text, str):
            return row.message == text
        return text.fullmatch(row.message) is not None

    return match


async def test_gajim_on_the_desk_stores_huddles_announcement_of_a_new_chat(seed: Seed) -> None:
    await seed.opened()
    announcement = re.compile(
        rf"New chat \[{seed.short}\] from visitor “{SEED_VISITOR}” \(team support\), "
        rf"waiting .* xmpp:{re.escape(seed.chat)}\?join"
    )
    await seed.jennie.wait_for_row(
        seed.desk, by("Huddle", announcement), what="the announcement from Huddle"
    )
    # The question follows on the desk, quoted after the word "visitor".
    await seed.jennie.wait_for_row(
        seed.desk,
        by("Huddle", f"[{seed.short}] visitor “{SEED_VISITOR}”: “{seed.question}”"),
        what="the visitor's question on the desk",
    )
    await seed.jennie.screenshot("seed-announced")


async def test_gajim_takes_the_desks_offer_for_an_invitation(seed: Seed) -> None:
    await seed.opened()
    service = seed.stack.info.service
    await seed.jennie.wait_for_invitation(seed.chat, service)
    # What Gajim received: XEP-0249, of type normal, from the service's domain.
    offer = seed.jennie.invitations(seed.chat)[0]
    invite = offer.find(q("x", "jabber:x:conference"))
    assert invite is not None
    assert (offer.get("from"), offer.get("type")) == (service, "normal")
    assert invite.get("reason") == f"New chat from visitor “{SEED_VISITOR}”"
    assert offer.find(q("body")) is None
    # The row it made, in the account's notifications.
    await seed.jennie.open_invitation_notification(service)
    await seed.jennie.wait_for_text(f"You have been invited to {seed.name}")
    await seed.jennie.screenshot("seed-invitation")
    assert seed.jennie.tracebacks() == []
    assert await seed.jennie.error_dialogs() == [], "Gajim shows an error dialog"


async def test_jennie_accepts_the_offer_in_gajim_and_answers_the_visitor(seed: Seed) -> None:
    # The notification's action, then "Show" and "Join" pressed in Gajim.
    await seed.accepted()
    gajim, visitor, chat = seed.jennie, seed.visitor, seed.chat
    await visitor.expect(presence_from(f"{chat}/Jennie"), what="Jennie joining")
    row = await gajim.wait_for_row(chat, lambda r: r.message == seed.question, what="the question")
    assert (row.nick, row.kind) == (f"{SEED_VISITOR} (visitor)", GC_MSG)
    # The desk hears that the chat is hers.
    await gajim.wait_for_row(seed.desk, by("Huddle", f"Jennie took [{seed.short}]"))

    await gajim.open_chat(chat)
    answer = f"Hi Nora, I am sorry to hear that {secrets.token_hex(4)}"
    await gajim.type(answer)
    await visitor.expect(groupchat_from(f"{chat}/Jennie", answer), what="Jennie's answer")
    await gajim.wait_for_row(chat, by("Jennie", answer), what="her own answer")
    await gajim.screenshot("seed-answered")


async def test_john_supervises_from_gajim_hidden_and_can_tell(seed: Seed) -> None:
    await seed.supervising()
    john, chat = seed.john, seed.chat
    # The desk answered his command to him alone, from Huddle.
    await john.wait_for_row(
        seed.desk, by("Huddle", f"Invitation to [{seed.short}] sent; you will be hidden.")
    )
    await john.wait_for_row(
        chat, by("Huddle", "John is supervising this chat, hidden from the visitor.")
    )
    # His own entry in the occupant list says so too (his presence's status).
    await john.wait_for_text("Hidden from the visitor", window="Gajim")
    # Jennie's Gajim hears the same notice.
    await seed.jennie.wait_for_row(
        chat, by("Huddle", "John is supervising this chat, hidden from the visitor.")
    )
    await john.screenshot("seed-supervising")
    seen = await seed.staff_only_so_far()
    assert "John" not in seen and "Huddle" not in seen


async def test_john_whispers_from_gajim(seed: Seed) -> None:
    await seed.whispered()
    john, chat = seed.john, seed.chat
    await john.wait_for_row(chat, by("John", f"[whisper] {WHISPER}"), what="his whisper back")
    await john.wait_for_row(chat, by("Huddle", f"Only staff saw: “{WHISPER}”"), what="the receipt")
    await seed.jennie.wait_for_row(
        chat, by("John", f"[whisper] {WHISPER}"), what="the whisper at Jennie's"
    )
    await john.screenshot("seed-whispered")
    seen = await seed.staff_only_so_far()
    assert WHISPER not in seen and "John" not in seen


async def test_john_speaks_from_gajim_and_the_visitor_sees_him_arrive_first(seed: Seed) -> None:
    await seed.whispered()
    john, visitor, chat = seed.john, seed.visitor, seed.chat
    words = f"I am John from Accounts; your refund is on its way {secrets.token_hex(4)}"
    await john.open_chat(chat)
    await john.type(words)
    arrived = await visitor.expect(presence_from(f"{chat}/John"), what="John's arrival")
    spoke = await visitor.expect(groupchat_from(f"{chat}/John", words), what="John's words")
    # Nothing of his reached her before he spoke: his presence is the first.
    of_john = [s for s in visitor.xmpp.stanzas if s.get("from") == f"{chat}/John"]
    assert of_john[:2] == [arrived, spoke]
    assert WHISPER not in visitor.raw
    await john.wait_for_row(chat, by("John", words), what="his words back")
    await seed.jennie.wait_for_row(chat, by("John", words), what="John's words at Jennie's")
    await john.screenshot("seed-spoke")


async def test_gajim_logged_no_traceback(scene: Scene, seed: Seed) -> None:
    # Last in the module: it judges everything each Gajim went through above.
    for gajim in (scene.gajim, seed.john):
        await gajim.wait_connected()
        assert gajim.tracebacks() == [], gajim.name
        assert await gajim.error_dialogs() == [], f"{gajim.name} shows an error dialog"

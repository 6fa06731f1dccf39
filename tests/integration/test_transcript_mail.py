"""Emailing the transcript (docs/visitor-protocol.md) through a real SMTP server
(aiosmtpd, in the test's own event loop): Mia gets the chat as she saw it, at
her address only, at most three times; every error row of the spec; and no
whisper, and nothing of a hidden supervisor, is ever in the email."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

import pytest
from aiosmtpd.smtp import SMTP, Envelope

from component.config import Smtp
from tests.integration.client import Client, error_condition, groupchat_from, q
from tests.integration.desk_helpers import configured, say
from tests.integration.supervision import OID
from tests.integration.visitor_requests import answered_chat

pytestmark = pytest.mark.integration
NS_TRANSCRIPT = "urn:huddle:transcript:0"
NS_INFO = "http://jabber.org/protocol/disco#info"
MIA = "mia@example.org"
SENDER = "support@example.org"


class Inbox:
    """An aiosmtpd handler: keeps what it accepts; refuses every recipient while
    ``refusing``."""

    def __init__(self) -> None:
        self.mails: asyncio.Queue[Envelope] = asyncio.Queue()
        self.refusing = False
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.refusing:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        await self.mails.put(envelope)
        return "250 OK"

    async def next_mail(self) -> tuple[Envelope, EmailMessage]:
        envelope = await asyncio.wait_for(self.mails.get(), 10)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return envelope, message

    def smtp(self, **changes: object) -> Smtp:
        settings = {"port": self.port, "starttls": False, "timeout": 10.0, **changes}
        return Smtp("127.0.0.1", SENDER, **settings)  # type: ignore[arg-type]


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    handler = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="mail.test"), "127.0.0.1", 0)
    handler.port = server.sockets[0].getsockname()[1]
    yield handler
    server.close()
    await server.wait_closed()


async def ask(client: Client, service: str, chat: str, extra: str = "") -> ET.Element:
    payload = f"<transcript xmlns='{NS_TRANSCRIPT}' chat={quoteattr(chat)}{extra}/>"
    return await client.iq(service, payload, "set")


async def service_features(client: Client, service: str) -> set[str]:
    reply = await client.iq(service, f"<query xmlns='{NS_INFO}'/>")
    return {f.get("var", "") for f in reply.iter(q("feature", NS_INFO))}


async def test_the_feature_is_listed_only_with_smtp_configured(connect, stack, inbox):
    service = stack.info.service
    visitor = await connect()
    without = await service_features(visitor, service)
    assert NS_TRANSCRIPT not in without
    assert "urn:huddle:rating:0" in without
    with configured(stack, smtp=inbox.smtp()):
        assert NS_TRANSCRIPT in await service_features(visitor, service)
    assert NS_TRANSCRIPT not in await service_features(visitor, service)


async def test_mia_gets_her_chat_by_email_as_she_saw_it(connect, stack, room, inbox):
    service = stack.info.service
    with configured(stack, smtp=inbox.smtp()):
        chat = await answered_chat(connect, room, email=MIA)
        await chat.close()
        reply = await ask(chat.visitor, service, chat.id)
        assert reply.get("type") == "result", ET.tostring(reply)
        envelope, mail = await inbox.next_mail()
    assert (envelope.mail_from, envelope.rcpt_tos) == (SENDER, [MIA])
    assert (mail["From"], mail["To"]) == (SENDER, MIA)
    assert mail["Subject"].startswith("Your chat with us on 20")
    body = mail.get_content()
    assert f"Chat {chat.id} (team support, closed)" in body
    assert "Visitor: Mia" in body
    assert "] Mia (visitor): Where is my parcel?" in body
    assert "] Jennie: It left our warehouse this morning." in body
    assert "!close" not in body and "jennie@" not in body


async def test_no_whisper_and_nothing_of_a_hidden_supervisor_is_in_the_email(
    connect, stack, room, inbox
):
    service = stack.info.service
    # "whisper": John's plain message stays staff-only, as a whisper does.
    with configured(stack, smtp=inbox.smtp(), supervisor_speech="whisper"):
        chat = await answered_chat(connect, room, email=MIA)
        john = await connect("john")
        await john.join(room, "John")
        seen = await chat.agent.expect(lambda s: s.get("from") == f"{room}/John")
        john_oid = seen.find(q("occupant-id", OID)).get("id")
        say(john, room, "!w Offer her the refund secretly")
        await chat.agent.expect(
            groupchat_from(f"{room}/John", "[whisper] Offer her the refund secretly")
        )
        say(john, room, "John from Accounts, hidden, plain words")
        await chat.agent.expect(groupchat_from(f"{room}/John"))
        say(chat.agent, room, "!w Jennie whispers too")
        await chat.agent.expect(groupchat_from(f"{room}/Jennie", "[whisper] Jennie whispers too"))
        say(chat.agent, room, "Anything else?")
        await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "Anything else?"))
        # Asked while the chat is open: the view is the same.
        assert (await ask(chat.visitor, service, chat.id)).get("type") == "result"
        _, mail = await inbox.next_mail()
    raw = mail.as_string()
    body = mail.get_content()
    assert "Anything else?" in body and "Where is my parcel?" in body
    for secret in (
        "refund",
        "whisper",
        "Jennie whispers too",
        "plain words",
        "John",
        "Accounts",
        "john@",
        john.jid,
        john_oid,
        "localhost",
    ):
        assert secret not in raw, f"{secret!r} is in the email"


async def test_at_most_three_times_a_chat(connect, stack, room, inbox):
    service = stack.info.service
    with configured(stack, smtp=inbox.smtp()):
        chat = await answered_chat(connect, room, email=MIA)
        for _ in range(3):
            reply = await ask(chat.visitor, service, chat.id)
            assert reply.get("type") == "result", ET.tostring(reply)
            envelope, _ = await inbox.next_mail()
            assert envelope.rcpt_tos == [MIA]
        fourth = await ask(chat.visitor, service, chat.id)
        assert error_condition(fourth) == "wait/policy-violation"
        # The chat's end changes nothing: still three.
        await chat.close()
        assert error_condition(await ask(chat.visitor, service, chat.id)) == (
            "wait/policy-violation"
        )
    assert inbox.mails.empty()


async def test_the_request_names_no_recipient(connect, stack, room, inbox):
    service = stack.info.service
    with configured(stack, smtp=inbox.smtp()):
        chat = await answered_chat(connect, room, email=MIA)
        iq = (
            f"<transcript xmlns='{NS_TRANSCRIPT}' chat='{chat.id}' to='eve@example.net'>"
            "<email>eve@example.net</email></transcript>"
        )
        assert (await chat.visitor.iq(service, iq, "set")).get("type") == "result"
        envelope, mail = await inbox.next_mail()
    assert envelope.rcpt_tos == [MIA] and mail["To"] == MIA
    assert "eve@" not in mail.as_string()


async def test_error_rows(connect, login, stack, room, inbox):
    service = stack.info.service
    chat = await answered_chat(connect, room, email=MIA)
    # No [smtp]: not a feature here.
    assert error_condition(await ask(chat.visitor, service, chat.id)) == (
        "cancel/feature-not-implemented"
    )
    with configured(stack, smtp=inbox.smtp()):
        for who in ("agent", "supervisor", "admin", "stranger"):
            staff = await login(who)
            assert error_condition(await ask(staff, service, chat.id)) == "auth/forbidden", who
        missing = await ask(chat.visitor, service, "chat-0000000000000000nothere")
        assert error_condition(missing) == "cancel/item-not-found"
        assert error_condition(await ask(chat.visitor, service, "desk")) == "cancel/item-not-found"
    assert inbox.mails.empty()


async def test_no_usable_address_is_not_acceptable(connect, stack, room, inbox):
    service = stack.info.service
    with configured(stack, smtp=inbox.smtp()):
        chat = await answered_chat(connect, room)  # no email in the form
        assert error_condition(await ask(chat.visitor, service, chat.id)) == (
            "modify/not-acceptable"
        )
        other = room.replace("chat-", "chat-x", 1)
        two = await answered_chat(connect, other, name="Eve", email=f"{MIA}, eve@example.net")
        assert error_condition(await ask(two.visitor, service, two.id)) == ("modify/not-acceptable")
    assert inbox.mails.empty()


async def test_a_mail_server_that_refuses_or_is_away_is_a_wait(connect, stack, room, inbox):
    service = stack.info.service
    chat = await answered_chat(connect, room, email=MIA)
    inbox.refusing = True
    with configured(stack, smtp=inbox.smtp()):
        refused = await ask(chat.visitor, service, chat.id)
    assert error_condition(refused) == "wait/remote-server-timeout"
    # Nobody listening: refused at once.
    closed = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    with configured(stack, smtp=inbox.smtp(port=port)):
        away = await ask(chat.visitor, service, chat.id)
    assert error_condition(away) == "wait/remote-server-timeout"
    # Listening, never answering: given up after smtp.timeout.
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    try:
        mute = inbox.smtp(port=silent.sockets[0].getsockname()[1], timeout=1.0)
        with configured(stack, smtp=mute):
            late = await ask(chat.visitor, service, chat.id)
    finally:
        silent.close()
    assert error_condition(late) == "wait/remote-server-timeout"
    # Failures are not counted against her three emails.
    inbox.refusing = False
    with configured(stack, smtp=inbox.smtp()):
        for _ in range(3):
            assert (await ask(chat.visitor, service, chat.id)).get("type") == "result"
            await inbox.next_mail()
        assert error_condition(await ask(chat.visitor, service, chat.id)) == (
            "wait/policy-violation"
        )

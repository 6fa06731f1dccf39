"""Kill -9 the component in the middle of chats, start it again: nothing that was
acknowledged is lost. Rooms and occupants come back, self-pings keep working,
every message reflected before the kill is in MAM, and a hidden supervisor is
still hidden."""

from __future__ import annotations

import secrets
import signal

import pytest

from roles.nicks import SERVICE_NICK
from tests.integration.client import groupchat_from, presence_from, q
from tests.lifecycle.deploy import SERVICE, STAFF_DOMAIN, VISITOR_DOMAIN
from tests.lifecycle.processes import STARTUP_TIMEOUT, huddle

pytestmark = pytest.mark.integration
MAM = "urn:xmpp:mam:2"
PING = "<ping xmlns='urn:xmpp:ping'/>"


async def archived_bodies(client, room: str) -> list[str]:
    mark = client.mark()
    reply = await client.iq(room, f"<query xmlns='{MAM}'/>", "set")
    assert reply.get("type") == "result", reply
    out = []
    for s in client.since(mark):
        inner = s.find(f".//{{urn:xmpp:forward:0}}forwarded/{q('message')}")
        if inner is not None:
            out.append(inner.find(q("body")).text)
    return out


async def test_kill_9_loses_nothing_acknowledged(deploy, spawn, login):
    deployed = deploy()
    prosody = deployed.prosody
    passwords = {user: secrets.token_urlsafe(9) for user in ("jennie", "john")}
    for user, password in passwords.items():
        await prosody.register(user, STAFF_DOMAIN, password)
    for user, role in (("jennie", "agent"), ("john", "supervisor")):
        code, _, err = await huddle(
            "staff",
            "--config",
            str(deployed.config_path),
            "add",
            f"{user}@{STAFF_DOMAIN}",
            "--name",
            user.capitalize(),
            "--role",
            role,
            env=deployed.env,
        )
        assert code == 0, err
    await prosody.start()
    config = str(deployed.config_path)
    process = await spawn("run", "--config", config, env=deployed.env)
    await process.wait_for_line("serving", "stderr", STARTUP_TIMEOUT)

    host, c2s = deployed.c2s
    room = f"chat-{secrets.token_hex(12)}@{SERVICE}"
    visitor = await login(host, c2s, VISITOR_DOMAIN)
    await visitor.join(room, "Alice")
    jennie = await login(host, c2s, f"jennie@{STAFF_DOMAIN}", passwords["jennie"], "laptop")
    await jennie.join(room, "Jennie")
    john = await login(host, c2s, f"john@{STAFF_DOMAIN}", passwords["john"], "desk")
    await john.join(room, "John")
    sent = [(visitor, "my order is late"), (jennie, "let me check"), (john, "!w refund it")]
    for n in range(20):
        sent.append((visitor if n % 2 else jennie, f"message {n}"))
    for client, text in sent:
        client.send(f"<message to='{room}' type='groupchat'><body>{text}</body></message>")
    # Everything above has been reflected to Jennie: acknowledged. The two senders'
    # last messages may arrive in either order, so each is looked for from the start.
    for nick, text in (("Jennie", "message 18"), ("Alice (visitor)", "message 19")):
        jennie.cursor = 0
        await jennie.expect(groupchat_from(f"{room}/{nick}", text))
    jennie.send(f"<message to='{room}' type='groupchat'><subject>Late order</subject></message>")
    await visitor.expect(lambda s: s.findtext(q("subject")) == "Late order", what="the subject")

    process.send_signal(signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL
    restarted = await spawn("run", "--config", config, env=deployed.env)
    await restarted.wait_for_line("restored 1 open chats", "stderr", STARTUP_TIMEOUT)
    await restarted.wait_for_line("serving", "stderr", STARTUP_TIMEOUT)

    info = await visitor.iq(room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")
    values = {
        f.get("var"): f.findtext("{jabber:x:data}value") for f in info.iter("{jabber:x:data}field")
    }
    assert values["muc#roominfo_subject"] == "Late order"
    # The same sessions are still occupants: self-pings succeed for each.
    for client, nick in ((visitor, "Alice (visitor)"), (jennie, "Jennie"), (john, "John")):
        reply = await client.iq(f"{room}/{nick}", PING)
        assert reply.get("type") == "result", (nick, reply)

    # What Jennie saw reflected, in the order she saw it, is exactly the archive.
    seen = [
        s.find(q("body")).text
        for s in jennie.xmpp.stanzas
        if s.get("type") == "groupchat"
        and "/" in (s.get("from") or "")
        and not (s.get("from") or "").endswith(f"/{SERVICE_NICK}")  # notices: not archived
        and s.find(q("body")) is not None
    ]
    assert len(seen) == len(sent)
    assert await archived_bodies(jennie, room) == seen
    assert await archived_bodies(visitor, room) == [b for b in seen if "refund" not in b]

    # A session joining after the restart gets the history from before the crash,
    # read from the archive when the room is first used.
    phone = await login(host, c2s, f"jennie@{STAFF_DOMAIN}", passwords["jennie"], "phone")
    got = await phone.join(room, "Jennie", history="<history maxstanzas='2'/>")
    assert [s.find(q("body")).text for s in got if s.find(q("body")) is not None] == seen[-2:]

    # The chat goes on, John still hidden until he speaks.
    visitor.send(f"<message to='{room}' type='groupchat'><body>still there?</body></message>")
    await jennie.expect(groupchat_from(f"{room}/Alice (visitor)", "still there?"))
    john.send(f"<message to='{room}' type='groupchat'><body>I am John</body></message>")
    await visitor.expect(presence_from(f"{room}/John"))
    await visitor.expect(groupchat_from(f"{room}/John", "I am John"))
    before_reveal = visitor.raw[: visitor.raw.find(f"{room}/John")]
    assert "refund it" not in visitor.raw and john.bare not in before_reveal

"""Transcripts, export, audit and purge from the command line, on a live chat's
database (SQLite in WAL mode lets the CLI read while the component writes)."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys

import pytest

from tests.integration.client import groupchat_from, presence_from
from tests.integration.desk_helpers import room_notice, say
from tests.integration.supervision import supervised_chat

pytestmark = pytest.mark.integration


async def huddle(stack, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "component.cli",
        *args,
        "--config",
        str(stack.config_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def seed_dialogue(connect, room):
    chat = await supervised_chat(connect, room)
    steps = [
        (chat.visitor, "Alice (visitor)", "Can I downgrade later?"),
        (chat.agent, "Jennie", "Yes you can"),
        (chat.john, "John", "!w I will take the refund question"),
        (chat.john, "John", "Hi, I am John from Accounts"),
    ]
    for client, nick, text in steps:
        client.send(f"<message to='{room}' type='groupchat'><body>{text}</body></message>")
        shown = text.replace("!w ", "[whisper] ")
        await chat.agent.expect(groupchat_from(f"{room}/{nick}", shown))
    return chat


async def test_transcript_views_and_formats(connect, room, stack):
    await seed_dialogue(connect, room)
    chat_id = room.split("@")[0]
    code, out, err = await huddle(stack, "transcript", chat_id, "--view", "visitor")
    assert code == 0, err
    assert "Can I downgrade later?" in out and "Hi, I am John from Accounts" in out
    assert "refund" not in out and "localhost" not in out
    code, out, err = await huddle(stack, "transcript", chat_id, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    whispers = [m for m in data["messages"] if m["whisper"]]
    assert [m["body"] for m in whispers] == ["I will take the refund question"]
    assert whispers[0]["jid"] == "john@localhost"
    code, _, err = await huddle(stack, "transcript", "chat-doesnotexist00000")
    assert code == 1 and "no chat" in err


async def test_commands_take_the_short_id_the_desk_shows(connect, room, stack):
    await seed_dialogue(connect, room)
    short = room.split("@")[0].removeprefix("chat-")[:8]
    code, out, err = await huddle(stack, "transcript", short, "--view", "visitor")
    assert code == 0, err
    assert "Can I downgrade later?" in out
    code, out, err = await huddle(stack, "transcript", f"[{short}]")
    assert code == 0 and "refund" in out, err
    code, out, err = await huddle(stack, "audit", "--chat", short)
    assert code == 0 and "joined hidden" in out, err
    code, out, err = await huddle(stack, "transcript", "ffffffff0000")
    assert (code, out) == (1, "") and "no chat 'ffffffff0000'" in err
    code, out, err = await huddle(stack, "transcript", "ab")
    assert code == 1 and "too short" in err


async def test_a_whole_id_that_starts_another_names_its_own_chat(connect, stack):
    service = stack.info.service
    base = f"chat-{secrets.token_hex(12)}"
    for local, name in ((f"{base}1", "One"), (f"{base}15", "Fifteen")):
        visitor = await connect()
        await visitor.join(f"{local}@{service}", name)
        say(visitor, f"{local}@{service}", f"I am {name}")
        await visitor.expect(groupchat_from(f"{local}@{service}/{name} (visitor)", f"I am {name}"))
    code, out, err = await huddle(stack, "transcript", f"{base}1", "--view", "visitor")
    assert code == 0, err
    assert "I am One" in out and "Fifteen" not in out
    code, out, err = await huddle(stack, "transcript", base)
    assert code == 1 and "more than one chat" in err


async def test_export_writes_one_json_line_per_chat(connect, room, stack):
    chat = await seed_dialogue(connect, room)
    # Characters many readers take for line breaks stay inside their line.
    odd = "one\u2028two\u2029three\x85four"
    chat.visitor.send(f"<message to='{room}' type='groupchat'><body>{odd}</body></message>")
    await chat.agent.expect(groupchat_from(f"{room}/Alice (visitor)", odd))
    code, out, err = await huddle(stack, "transcripts", "export", "--since", "2000-01-01")
    assert code == 0, err
    chats = [json.loads(line) for line in out.splitlines()]
    assert room.split("@")[0] in {c["chat"] for c in chats}
    [mine] = [c for c in chats if c["chat"] == room.split("@")[0]]
    assert odd in [m["body"] for m in mine["messages"]]
    assert "exported" in err


async def test_audit_records_supervision(connect, room, stack):
    chat = await seed_dialogue(connect, room)
    chat.agent.send(f"<message to='{room}' type='groupchat'><body>!close done</body></message>")
    await chat.visitor.expect(room_notice(room, "This chat has ended"))
    await chat.agent.expect(presence_from(f"{room}/Jennie", "unavailable"))
    code, out, err = await huddle(stack, "audit", "--chat", room.split("@")[0])
    assert code == 0, err
    actions = [line.split(" ", 3)[3] for line in out.splitlines()]
    assert actions[:2] == ["joined", "joined hidden"]
    assert "whisper I will take the refund question" in actions
    assert "revealed by speaking" in actions
    assert actions[-1] == "close done"
    actors = {line.split(" ")[2] for line in out.splitlines()}
    assert actors == {"jennie@localhost", "john@localhost"}


async def test_purge_deletes_only_old_closed_chats(connect, room, stack):
    await seed_dialogue(connect, room)
    code, out, err = await huddle(stack, "purge", "--older-than", "90d")
    assert code == 0, err
    assert out.startswith("purged 0 closed chats")
    code, out, _ = await huddle(stack, "transcript", room.split("@")[0])
    assert "Can I downgrade later?" in out
    code, _, err = await huddle(stack, "purge", "--older-than", "ninety")
    assert code != 0 and "--older-than" in err


async def test_admins_read_the_audit_log_by_ad_hoc_command(connect, room, stack):
    from tests.integration.adhoc_client import execute, rows, run

    await seed_dialogue(connect, room)
    admin = await connect("admin")
    chat_id = room.split("@")[0]
    done = await run(admin, stack.info.service, "read-audit", {"chat": chat_id})
    entries = rows(done)
    assert {(e["actor"], e["action"]) for e in entries} >= {
        ("john@localhost", "joined hidden"),
        ("john@localhost", "whisper"),
        ("john@localhost", "revealed"),
    }
    assert all(e["chat"] == chat_id for e in entries)
    supervisor = await connect("john")
    refused = await execute(supervisor, stack.info.service, "read-audit")
    assert refused.get("type") == "error"

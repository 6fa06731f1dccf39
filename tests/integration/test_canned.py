"""Canned replies: admins keep them (ad-hoc commands, ``huddle canned``); staff
say one with ``!r <name>`` and it is theirs, names filled in, exactly as if they
had typed it: a hidden supervisor is revealed first, or whispers with
``supervisor_speech = "whisper"``. What is not there is told to the sender alone."""

from __future__ import annotations

import secrets

import pytest

from storage.canned import CannedReplies, CannedReply
from tests.integration.adhoc_client import (
    app_condition,
    error_text,
    execute,
    listed,
    note,
    options,
    rows,
    run,
    sessionid,
    status,
    values,
)
from tests.integration.client import Client, error_condition, groupchat_from, presence_from, q
from tests.integration.desk_helpers import configured, room_notice, say
from tests.integration.test_records import huddle
from tests.integration.visitor_requests import Chat, answered_chat

pytestmark = pytest.mark.integration
GREETING = "Hello {visitor}, this is {agent}. {visitor}, how can I help?"


def tagged(name: str) -> str:
    """Replies outlive a test in the shared database: each test names its own."""
    return f"{name}-{secrets.token_hex(3)}"


async def saved(stack, team: str, name: str, text: str) -> str:
    assert stack.huddle is not None and stack.huddle.muc is not None
    await CannedReplies(stack.huddle.muc.db).add(CannedReply(team, name, text))
    return name


async def test_an_agent_says_a_canned_reply_as_her_own(connect, stack, room):
    name = await saved(stack, "", tagged("greet"), GREETING)
    chat = await answered_chat(connect, room, name="Zoë")
    mark = chat.visitor.mark()
    say(chat.agent, room, f"!r {name}")
    spoken = "Hello Zoë, this is Jennie. Zoë, how can I help?"
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", spoken))
    await chat.agent.expect(groupchat_from(f"{room}/Jennie", spoken))
    # The visitor got the words, never the command.
    assert all("!r" not in (s.findtext(q("body")) or "") for s in chat.visitor.since(mark))
    assert name not in chat.visitor.raw


async def test_an_unknown_name_or_a_bare_r_lists_the_teams_replies_to_the_sender_alone(
    connect, stack, room
):
    everyone = await saved(stack, "", tagged("bye"), "Goodbye, {visitor}!")
    support = await saved(stack, "support", tagged("hours"), "We are here 9 to 5.")
    accounts = await saved(stack, "accounts", tagged("refund"), "Refunds take five days.")
    chat = await answered_chat(connect, room)
    mark = chat.visitor.mark()
    say(chat.agent, room, "!r no-such-reply")
    told = await chat.agent.expect(room_notice(room, "There is no canned reply “no-such-reply”"))
    text = told.findtext(q("body")) or ""
    assert "Canned replies for team support" in text
    assert f"{everyone}: Goodbye, {{visitor}}!" in text and f"{support}: We are" in text
    assert accounts not in text  # another team's
    say(chat.agent, room, "!r")
    bare = await chat.agent.expect(room_notice(room, "Canned replies for team support"))
    assert everyone in (bare.findtext(q("body")) or "")
    # The accounts team's reply is not this chat's to say.
    say(chat.agent, room, f"!r {accounts}")
    await chat.agent.expect(room_notice(room, f"There is no canned reply “{accounts}”"))
    say(chat.agent, room, "sync")
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "sync"))
    heard = [s.findtext(q("body")) for s in chat.visitor.since(mark)]
    assert heard == ["sync"], heard


async def test_a_teams_own_reply_wins_over_one_for_every_team(connect, stack, room):
    name = tagged("hello")
    await saved(stack, "", name, "Hello from all of us")
    await saved(stack, "support", name, "Hello from Support, {visitor}")
    chat = await answered_chat(connect, room)
    say(chat.agent, room, f"!r {name}")
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "Hello from Support, Mia"))


async def hidden_john_says(connect, room: str, name: str) -> tuple[Chat, Client, int]:
    """Mia and Jennie chat; John joins hidden and types ``!r <name>``. Returns the
    chat, John, and the visitor's mark from before he typed it."""
    chat = await answered_chat(connect, room)
    john = await connect("john")
    await john.join(room, "John")
    await chat.agent.expect(presence_from(f"{room}/John"))
    mark = chat.visitor.mark()
    say(john, room, f"!r {name}")
    return chat, john, mark


async def test_a_hidden_supervisor_who_says_one_is_revealed_first(connect, stack, room):
    name = await saved(stack, "", tagged("greet"), GREETING)
    chat, _, mark = await hidden_john_says(connect, room, name)
    spoken = "Hello Mia, this is John. Mia, how can I help?"
    await chat.visitor.expect(groupchat_from(f"{room}/John", spoken))
    got = chat.visitor.since(mark)
    arrived = [s.tag for s in got if s.get("from") == f"{room}/John"]
    assert arrived == [q("presence"), q("message")]  # he joins, then he speaks
    code, out, err = await huddle(stack, "audit", "--chat", room.split("@")[0])
    assert code == 0, err
    assert "john@localhost revealed by speaking" in out


async def test_with_whispering_supervisors_a_hidden_ones_reply_stays_with_staff(
    connect, stack, room
):
    name = await saved(stack, "", tagged("greet"), GREETING)
    with configured(stack, supervisor_speech="whisper"):
        chat, john, mark = await hidden_john_says(connect, room, name)
        spoken = "Hello Mia, this is John. Mia, how can I help?"
        await chat.agent.expect(groupchat_from(f"{room}/John", f"[whisper] {spoken}"))
        await john.expect(room_notice(room, f"Only staff saw: “{spoken}”"))
        say(chat.agent, room, "sync")
        await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "sync"))
    assert [s.findtext(q("body")) for s in chat.visitor.since(mark)] == ["sync"]
    assert "John" not in chat.visitor.raw


async def test_huddle_canned_on_the_command_line_serves_the_running_chats(connect, stack, room):
    name = tagged("cli")
    code, out, err = await huddle(stack, "canned", "add", name, "Thanks, {visitor}!")
    assert (code, out) == (0, f"added {name!r} for every team\n"), err
    chat = await answered_chat(connect, room)
    say(chat.agent, room, f"!r {name}")
    await chat.visitor.expect(groupchat_from(f"{room}/Jennie", "Thanks, Mia!"))
    code, out, err = await huddle(stack, "canned", "remove", name)
    assert code == 0, err
    say(chat.agent, room, f"!r {name}")
    await chat.agent.expect(room_notice(room, f"There is no canned reply “{name}”"))


async def test_admins_add_edit_list_and_remove_by_ad_hoc_command(connect, stack):
    service = stack.info.service
    admin = await connect("admin")
    assert {"list-canned", "add-canned", "edit-canned", "remove-canned"} <= await listed(
        admin, service
    )
    name = tagged("welcome")
    added = await run(
        admin,
        service,
        "add-canned",
        {"team": "support", "name": name.upper(), "text": "Welcome, {visitor}!"},
    )
    assert status(added) == "completed"
    assert note(added) == f"Added {name!r} for team support."
    mine = [r for r in rows(await execute(admin, service, "list-canned")) if r["name"] == name]
    assert mine == [{"name": name, "team": "team support", "text": "Welcome, {visitor}!"}]

    # Bad input is refused with the field named, and nothing is added.
    form = await execute(admin, service, "add-canned")
    bad = await execute(
        admin,
        service,
        "add-canned",
        sessionid=sessionid(form),
        fields={"team": "", "name": "two words", "text": "x"},
    )
    assert error_condition(bad) == "modify/bad-request"
    assert app_condition(bad) == "bad-payload" and error_text(bad).startswith("name:")
    same = {"team": "support", "name": name, "text": "Another welcome"}
    again = await execute(admin, service, "add-canned", sessionid=sessionid(form), fields=same)
    assert error_condition(again) == "modify/bad-request"
    assert "already exists" in error_text(again)

    choose = await execute(admin, service, "edit-canned")
    key = f"support/{name}"
    assert options(choose, "reply")[key] == f"{name} · team support"
    edit = await execute(
        admin, service, "edit-canned", sessionid=sessionid(choose), fields={"reply": key}
    )
    assert values(edit)["text"] == "Welcome, {visitor}!"
    saved_reply = await execute(
        admin,
        service,
        "edit-canned",
        sessionid=sessionid(edit),
        fields={"text": "Welcome back, {visitor}!"},
    )
    assert note(saved_reply) == f"Saved {name!r} for team support."
    assert stack.huddle is not None and stack.huddle.muc is not None
    stored = await CannedReplies(stack.huddle.muc.db).get("support", name)
    assert stored is not None and stored.text == "Welcome back, {visitor}!"

    removed = await run(admin, service, "remove-canned", {"reply": key})
    assert note(removed) == f"Removed {name!r} for team support."
    assert await CannedReplies(stack.huddle.muc.db).get("support", name) is None

"""Managing staff with ad-hoc commands (admins): add, edit, list and remove a
colleague, with every change in force at once, and bad input refused with the
field named and nothing changed."""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager

import pytest

from tests.integration.adhoc_client import (
    app_condition,
    error_text,
    execute,
    note,
    options,
    rows,
    run,
    sessionid,
    status,
    values,
)
from tests.integration.client import error_condition, groupchat_from
from tests.integration.desk_helpers import on_desk, say
from tests.integration.people import login_account

pytestmark = pytest.mark.integration


def new_colleague(**changes: str) -> dict[str, str]:
    tag = secrets.token_hex(4)
    fields = {
        "jid": f"temp-{tag}@localhost",
        "name": f"Temp {tag}",
        "role": "agent",
        "team": "support",
        "max_chats": "2",
    }
    return {**fields, **changes}


async def staff_rows(admin, service) -> list[dict[str, str]]:
    return rows(await execute(admin, service, "list-staff"))


@asynccontextmanager
async def account(stack, user):
    """A fresh XMPP account on the staff domain; ``await login()`` opens a session."""
    password = secrets.token_urlsafe(9)
    await stack.prosody.register(user, stack.info.staff_domain, password)
    sessions = []

    async def login():
        sessions.append(await login_account(stack, user, password))
        return sessions[-1]

    try:
        yield login
    finally:
        for session in sessions:
            await session.close()


async def test_add_edit_and_remove_a_colleague_take_effect_at_once(connect, stack, desk):
    service = stack.info.service
    admin = await connect("admin")
    fields = new_colleague()
    jid, name = fields["jid"], fields["name"]
    done = await run(admin, service, "add-staff", fields)
    assert status(done) == "completed" and note(done).startswith(f"Added {name} <{jid}>")
    assert {**fields, "coached": "no"} in await staff_rows(admin, service)
    members = stack.huddle.desk.members
    async with account(stack, jid.split("@")[0]) as login:
        await on_desk(await login(), desk, name)  # a staff member now
        assert members[jid].team == "support"

        chosen = await run(admin, service, "edit-staff", {"jid": jid})
        assert status(chosen) == "executing"
        assert {k: v for k, v in values(chosen).items() if k} == {
            **{k: v for k, v in fields.items() if k != "jid"},
            "coached": "0",
        }
        edited = {**fields, "team": "accounts", "max_chats": "5", "role": "supervisor"}
        edited.pop("jid")
        done = await execute(
            admin, service, "edit-staff", sessionid=sessionid(chosen), fields=edited
        )
        assert status(done) == "completed" and "supervisor in team accounts" in note(done)
        assert (members[jid].role, members[jid].team, members[jid].max_chats) == (
            "supervisor",
            "accounts",
            5,
        )

        done = await run(admin, service, "remove-staff", {"jid": jid})
        assert status(done) == "completed" and jid not in members
        assert jid not in {r["jid"] for r in await staff_rows(admin, service)}
        # The directory is read on every join: another session is refused at once.
        got = await (await login()).join(desk, name)
        assert error_condition(got[-1]) == "auth/registration-required"


BAD = [
    ({"jid": "someone@example.org"}, "jid: 'someone@example.org' is not on a staff domain"),
    ({"jid": "not a jid"}, "jid: expected a bare JID"),
    ({"jid": "jennie@localhost"}, "jid: 'jennie@localhost' is already on the staff"),
    ({"name": "jennie"}, "name: 'jennie' is already used by jennie@localhost"),
    ({"name": "Eve (visitor)"}, "name: must not end with"),
    ({"role": "overlord"}, "role: expected one of agent, supervisor, admin"),
    ({"team": "Bad Team"}, "team: expected 1-32 characters"),
    ({"max_chats": "lots"}, "max_chats: expected a whole number, got 'lots'"),
    ({"max_chats": "0"}, "max_chats: must be between 1 and 100"),
]


@pytest.mark.parametrize(("change", "complaint"), BAD, ids=[c for _, c in BAD])
async def test_bad_staff_entries_are_refused_and_change_nothing(connect, stack, change, complaint):
    service = stack.info.service
    admin = await connect("admin")
    before = await staff_rows(admin, service)
    reply = await run(admin, service, "add-staff", new_colleague(**change))
    assert error_condition(reply) == "modify/bad-request" and app_condition(reply) == "bad-payload"
    assert complaint in error_text(reply)
    assert await staff_rows(admin, service) == before


async def test_a_refused_form_can_be_corrected_and_sent_again(connect, stack):
    service = stack.info.service
    admin = await connect("admin")
    form = await execute(admin, service, "add-staff")
    assert values(form)["team"] == "support" and values(form)["max_chats"] == "3"
    sid = sessionid(form)
    bad = new_colleague(max_chats="many")
    reply = await execute(admin, service, "add-staff", sessionid=sid, fields=bad)
    assert error_condition(reply) == "modify/bad-request"
    good = {**bad, "max_chats": "4"}
    done = await execute(admin, service, "add-staff", sessionid=sid, fields=good)
    assert status(done) == "completed"
    done = await run(admin, service, "remove-staff", {"jid": good["jid"]})
    assert status(done) == "completed"


async def test_an_admin_cannot_remove_or_demote_themselves(connect, stack):
    service = stack.info.service
    admin = await connect("admin")
    form = await execute(admin, service, "remove-staff")
    assert "admin@localhost" not in options(form, "jid")
    reply = await execute(
        admin, service, "remove-staff", sessionid=sessionid(form), fields={"jid": "admin@localhost"}
    )
    assert error_condition(reply) == "cancel/not-allowed"
    chosen = await run(admin, service, "edit-staff", {"jid": "admin@localhost"})
    demoted = {**values(chosen), "role": "agent"}
    demoted.pop("", None)
    reply = await execute(admin, service, "edit-staff", sessionid=sessionid(chosen), fields=demoted)
    assert error_condition(reply) == "cancel/not-allowed"
    [me] = [r for r in await staff_rows(admin, service) if r["jid"] == "admin@localhost"]
    assert me["role"] == "admin"


async def test_removing_someone_not_on_the_staff_is_refused(connect, stack):
    service = stack.info.service
    admin = await connect("admin")
    reply = await run(admin, service, "remove-staff", {"jid": "nobody@localhost"})
    assert error_condition(reply) == "modify/bad-request"
    assert "'nobody@localhost' is not on the staff" in error_text(reply)


async def test_a_colleague_coached_by_the_directory_drafts_in_every_chat(connect, stack, room):
    """``coached`` in the directory: their answers wait for approval wherever a
    supervisor is, from their next join; turned off, they speak straight away."""
    service = stack.info.service
    admin = await connect("admin")
    fields = new_colleague(coached="1")
    jid, name = fields["jid"], fields["name"]
    done = await run(admin, service, "add-staff", fields)
    assert status(done) == "completed" and note(done).endswith("coached.")
    async with account(stack, jid.split("@")[0]) as login:
        visitor = await connect()
        await visitor.join(room, "Alice")
        trainee = await login()
        await trainee.join(room, name)
        john = await connect("john")
        await john.join(room, "John")
        say(trainee, room, "Hello there")
        await john.expect(groupchat_from(f"{room}/{name}", "[draft 1, awaiting approval: "
                                         "!ok 1 · !edit 1 … · !no 1] Hello there"))
        chosen = await run(admin, service, "edit-staff", {"jid": jid})
        changed = {k: v for k, v in fields.items() if k != "jid"} | {"coached": "0"}
        done = await execute(
            admin, service, "edit-staff", sessionid=sessionid(chosen), fields=changed
        )
        assert status(done) == "completed" and "coached" not in note(done)
        # In force in the chat she is in, without joining again.
        await john.iq(service, "<ping xmlns='urn:xmpp:ping'/>")
        say(trainee, room, "Now I speak directly")
        await visitor.expect(groupchat_from(f"{room}/{name}", "Now I speak directly"))
        assert "Hello there" not in visitor.raw
        await run(admin, service, "remove-staff", {"jid": jid})

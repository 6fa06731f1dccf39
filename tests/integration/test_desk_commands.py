"""Moving chats between people: !invite, !transfer, !take, !info in a chat;
!chats, !supervise, !take, !stats on the desk; and the seed through routing."""

from __future__ import annotations

import pytest

from tests.integration.client import error_condition, groupchat_from, presence_from, q
from tests.integration.desk_helpers import (
    desk_notice,
    invitation_to,
    on_desk,
    room_notice,
    say,
)

pytestmark = pytest.mark.integration


async def test_the_seed_through_routing(connect, desk, room):
    """A visitor arrives; the available agent is invited and joins; she invites
    John from Accounts; he joins hidden, is announced to staff, speaks, and the
    visitor sees him appear."""
    jennie = await connect("jennie")
    await on_desk(jennie, desk, "Jennie")
    john = await connect("john")
    await on_desk(john, desk, "John")
    visitor = await connect()
    await visitor.join(room, "Visitor")
    await jennie.expect(invitation_to(room))
    await jennie.join(room, "Jennie")
    await visitor.expect(presence_from(f"{room}/Jennie"))
    say(visitor, room, "Would you refund me the fee if I downgrade?")
    await jennie.expect(groupchat_from(f"{room}/Visitor (visitor)"))
    say(jennie, room, "!invite john")
    await jennie.expect(room_notice(room, "Jennie invited John"))
    await john.expect(invitation_to(room))
    await john.join(room, "John")
    await jennie.expect(room_notice(room, "John is supervising this chat"))
    say(jennie, room, "Just a moment, someone from Accounts will answer")
    await visitor.expect(groupchat_from(f"{room}/Jennie"))
    assert "John" not in visitor.raw
    mark = visitor.mark()
    say(john, room, "Hi, I am John from Accounts: yes, we refund the surplus")
    answer = await visitor.expect(groupchat_from(f"{room}/John"))
    seen = [s for s in visitor.since(mark) if s.get("from") == f"{room}/John"]
    assert seen[0].tag == q("presence") and seen[-1] is answer


async def test_invite_by_team_picks_an_available_agent_of_that_team(connect, desk, room):
    josh = await connect("josh")
    await on_desk(josh, desk, "Josh")
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    say(jennie, room, "!invite accounts")
    await jennie.expect(room_notice(room, "Jennie invited Josh"))
    await josh.expect(invitation_to(room))
    say(jennie, room, "!invite nobody-here")
    await jennie.expect(room_notice(room, "No colleague or team called 'nobody-here'"))


async def test_transfer_makes_another_agent_the_visible_one(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    josh = await connect("josh")
    say(jennie, room, "!transfer josh@localhost")
    await jennie.expect(room_notice(room, "Jennie transferred this chat to Josh"))
    assert "Josh" not in visitor.raw  # the visitor hears of it when Josh appears
    await josh.join(room, "Josh")
    await visitor.expect(presence_from(f"{room}/Josh"))
    # Without a transfer or invitation, another agent may not enter.
    stack_agent = await connect("jennie")
    got = await stack_agent.join(room, "Jennie")
    assert all(s.get("type") != "error" for s in got)  # Jennie herself still may


async def test_take_is_for_supervisors(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    say(jennie, room, "!take")
    await jennie.expect(room_notice(room, "You may not take chats"))
    john = await connect("john")
    await john.join(room, "John")
    say(john, room, "!take")
    await jennie.expect(room_notice(room, "John took over this chat"))
    await visitor.expect(presence_from(f"{room}/John"))  # he shows himself


async def test_info_tells_staff_who_is_watching(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    say(visitor, room, "hello")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    john = await connect("john")
    await john.join(room, "John")
    say(jennie, room, "!info")
    info = await jennie.expect(room_notice(room, "Chat chat-"))
    text = info.find(q("body")).text
    assert "Visitor: “Alice” <" in text and "Watching, hidden: John" in text
    assert "Agent: Jennie" in text and "First message: “hello”" in text
    assert "!info" not in visitor.raw and "Watching" not in visitor.raw


async def test_desk_chats_supervise_take_and_stats(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    chat_id = room.split("@")[0].removeprefix("chat-")
    john = await connect("john")
    await on_desk(john, desk, "John")
    say(john, desk, "!chats")
    listing = await john.expect(desk_notice(desk, f"[{chat_id[:8]}] waiting"))
    assert "Alice" in listing.find(q("body")).text
    say(john, desk, f"!supervise {chat_id[:8]}")
    await john.expect(invitation_to(room))
    await john.join(room, "John")
    assert "John" not in visitor.raw
    say(john, desk, f"!take {chat_id}")
    await john.expect(desk_notice(desk, "John took over"))
    say(john, desk, "!stats")
    stats = await john.expect(desk_notice(desk, "Today (UTC):"))
    assert "waiting now: 0" in stats.find(q("body")).text
    say(john, desk, "!supervise zzzzzzzz")
    await john.expect(desk_notice(desk, "No chat matches 'zzzzzzzz'"))


async def test_agents_may_not_supervise_from_the_desk(connect, desk, room):
    visitor = await connect()
    await visitor.join(room, "Alice")
    josh = await connect("josh")
    await on_desk(josh, desk, "Josh")
    chat_id = room.split("@")[0].removeprefix("chat-")
    say(josh, desk, f"!supervise {chat_id}")
    await josh.expect(desk_notice(desk, "You may not use !supervise"))
    assert not [s for s in josh.xmpp.stanzas if invitation_to(room)(s)]
    # And an uninvited agent cannot walk into an active chat.
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    got = await josh.join(room, "Josh")
    assert error_condition(got[-1]) == "auth/forbidden"


async def test_powers_follow_the_directory_not_the_join(connect, desk, room, stack):
    visitor = await connect()
    await visitor.join(room, "Alice")
    john = await connect("john")
    await john.join(room, "John")
    staff = stack.huddle.muc.staff
    member = await staff.get("john@localhost")
    await staff.remove(member.jid)
    try:
        say(john, room, "!w still here?")
        await john.expect(room_notice(room, "You are no longer on the staff"))
        say(john, room, "!take")
        await john.expect(room_notice(room, "You are no longer on the staff"))
    finally:
        await staff.add(member)
    assert "still here" not in visitor.raw
    assert stack.huddle.muc.rooms.get(room.split("@")[0]).chat.assigned is None


async def test_failed_moves_are_not_audited(connect, desk, room, stack):
    from storage import audit

    visitor = await connect()
    await visitor.join(room, "Alice")
    jennie = await connect("jennie")
    await jennie.join(room, "Jennie")
    say(jennie, room, "!invite nobody-at-all")
    await jennie.expect(room_notice(room, "No colleague or team"))
    say(jennie, room, "!invite john")
    await jennie.expect(room_notice(room, "Jennie invited John"))
    entries = await audit.read(stack.huddle.db, room.split("@")[0])
    assert [(e.action, e.detail) for e in entries if e.action == "invite"] == [
        ("invite", "john@localhost")
    ]

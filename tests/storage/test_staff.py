import re

import pytest

from storage.database import open_database
from storage.staff import StaffDirectory, StaffError, StaffMember


@pytest.fixture
async def directory(tmp_path):
    async with await open_database(tmp_path / "huddle.sqlite") as db:
        yield StaffDirectory(db)


JENNIE = StaffMember("jennie@example.org", "agent", "support", "Jennie")
JOHN = StaffMember("john@example.org", "supervisor", "accounts", "John", max_chats=5)


async def test_add_then_get(directory):
    await directory.add(JENNIE)
    assert await directory.get("jennie@example.org") == JENNIE
    assert await directory.get("nobody@example.org") is None


async def test_jid_is_stored_lowercased_and_matched_in_any_case(directory):
    await directory.add(StaffMember("Jennie@Example.ORG", "agent", "support", "Jennie"))
    member = await directory.get("JENNIE@example.org")
    assert member is not None
    assert member.jid == "jennie@example.org"
    taken = "jid: 'jennie@example.org' is already on the staff"
    with pytest.raises(StaffError, match=re.escape(taken)):
        await directory.add(StaffMember("jennie@EXAMPLE.org", "agent", "sales", "Other"))


async def test_full_jid_never_matches(directory):
    await directory.add(JENNIE)
    assert await directory.get("jennie@example.org/laptop") is None


async def test_defaults_max_chats_to_three(directory):
    await directory.add(JENNIE)
    member = await directory.get(JENNIE.jid)
    assert member is not None
    assert member.max_chats == 3


async def test_update_changes_everything_but_the_jid(directory):
    await directory.add(JENNIE)
    changed = StaffMember(JENNIE.jid, "supervisor", "sales", "Jennie S.", max_chats=7)
    await directory.update(changed)
    assert await directory.get(JENNIE.jid) == changed


async def test_update_may_keep_own_name_in_other_case(directory):
    await directory.add(JENNIE)
    await directory.update(StaffMember(JENNIE.jid, "agent", "support", "JENNIE"))
    member = await directory.get(JENNIE.jid)
    assert member is not None
    assert member.name == "JENNIE"


async def test_update_of_unknown_jid_is_refused(directory):
    missing = "jid: 'jennie@example.org' is not on the staff"
    with pytest.raises(StaffError, match=re.escape(missing)):
        await directory.update(JENNIE)


async def test_update_to_a_taken_name_is_refused(directory):
    await directory.add(JENNIE)
    await directory.add(JOHN)
    message = "name: 'jennie' is already used by jennie@example.org"
    with pytest.raises(StaffError, match=re.escape(message)):
        await directory.update(StaffMember(JOHN.jid, "supervisor", "accounts", "jennie"))
    assert await directory.get(JOHN.jid) == JOHN


async def test_remove(directory):
    await directory.add(JENNIE)
    assert await directory.remove("JENNIE@example.org") is True
    assert await directory.get(JENNIE.jid) is None
    assert await directory.remove(JENNIE.jid) is False


async def test_name_is_free_again_after_remove(directory):
    await directory.add(JENNIE)
    await directory.remove(JENNIE.jid)
    await directory.add(StaffMember("jen@example.org", "agent", "support", "Jennie"))


async def test_list_is_sorted_by_jid(directory):
    admin = StaffMember("admin@example.org", "admin", "support", "Admin")
    for member in (JOHN, JENNIE, admin):
        await directory.add(member)
    assert await directory.list() == [admin, JENNIE, JOHN]


async def test_list_empty(directory):
    assert await directory.list() == []


@pytest.mark.parametrize("name", ["Jennie", "jennie", "JENNIE", "  Jennie  "])
async def test_duplicate_name_is_refused_case_insensitively(directory, name):
    await directory.add(JENNIE)
    with pytest.raises(StaffError, match=r"name: .* is already used by jennie@example\.org"):
        await directory.add(StaffMember("other@example.org", "agent", "support", name))
    assert [m.jid for m in await directory.list()] == [JENNIE.jid]


async def test_unicode_names_collide_under_casefolding(directory):
    await directory.add(StaffMember("a@example.org", "agent", "support", "Strauß"))
    with pytest.raises(StaffError, match="name:"):
        await directory.add(StaffMember("b@example.org", "agent", "support", "STRAUSS"))


async def test_name_is_trimmed(directory):
    await directory.add(StaffMember("a@example.org", "agent", "support", "  Ann  "))
    member = await directory.get("a@example.org")
    assert member is not None
    assert member.name == "Ann"


@pytest.mark.parametrize(
    "jid",
    [
        "",
        "jennie",
        "example.org",
        "@example.org",
        "jennie@",
        "jennie@example.org/laptop",
        "jen nie@example.org",
        "a@b@example.org",
        "jen<nie@example.org",
        "jennie@exa mple.org",
        "jennie@-example.org",
        "jennie@example..org",
    ],
)
async def test_invalid_jid_is_refused(directory, jid):
    with pytest.raises(StaffError, match=r"^jid: expected a bare JID") as info:
        await directory.add(StaffMember(jid, "agent", "support", "Jennie"))
    assert repr(jid) in str(info.value)


async def test_localhost_domain_is_a_valid_jid(directory):
    await directory.add(StaffMember("jennie@localhost", "agent", "support", "Jennie"))


@pytest.mark.parametrize("role", ["visitor", "Agent", "", "owner"])
async def test_invalid_role_is_refused(directory, role):
    expected = f"role: expected one of agent, supervisor, admin, got {role!r}"
    with pytest.raises(StaffError, match="^" + re.escape(expected)):
        await directory.add(StaffMember("a@example.org", role, "support", "A"))  # type: ignore[arg-type]


@pytest.mark.parametrize("team", ["", "Sales", "sales team", "sales_team", "x" * 33, "ä"])
async def test_invalid_team_is_refused(directory, team):
    with pytest.raises(StaffError, match=r"^team: expected 1-32 characters") as info:
        await directory.add(StaffMember("a@example.org", "agent", team, "A"))
    assert repr(team) in str(info.value)


@pytest.mark.parametrize("team", ["a", "sales", "tier-2", "x" * 32])
async def test_valid_team_is_accepted(directory, team):
    await directory.add(StaffMember("a@example.org", "agent", team, "A"))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * 65, "at most 64 characters"),
        ("Bob (visitor)", "must not end with ' (visitor)'"),
        ("Bob (Visitor)", "must not end with ' (visitor)'"),
        ("Bob\nSmith", "must not contain control characters"),
    ],
)
async def test_invalid_name_is_refused(directory, name, message):
    with pytest.raises(StaffError, match="^" + re.escape(f"name: {message}")):
        await directory.add(StaffMember("a@example.org", "agent", "support", name))


async def test_name_of_64_characters_is_accepted(directory):
    await directory.add(StaffMember("a@example.org", "agent", "support", "x" * 64))


@pytest.mark.parametrize("max_chats", [0, -1, 101, True])
async def test_invalid_max_chats_is_refused(directory, max_chats):
    expected = f"max_chats: must be between 1 and 100, got {max_chats!r}"
    with pytest.raises(StaffError, match="^" + re.escape(expected)):
        await directory.add(StaffMember("a@example.org", "agent", "support", "A", max_chats))


@pytest.mark.parametrize("max_chats", [1, 100])
async def test_max_chats_bounds_are_accepted(directory, max_chats):
    await directory.add(StaffMember("a@example.org", "agent", "support", "A", max_chats))


async def test_invalid_update_is_refused_and_changes_nothing(directory):
    await directory.add(JENNIE)
    with pytest.raises(StaffError, match=r"^team:"):
        await directory.update(StaffMember(JENNIE.jid, "agent", "No Such Team", "Jennie"))
    assert await directory.get(JENNIE.jid) == JENNIE

"""Ad-hoc commands for admins (XEP-0050): ``list-staff``, ``add-staff``,
``edit-staff`` and ``remove-staff`` on the staff directory.

Changes apply at once: the directory is read on every join and every command,
and the desk's copy of whoever is on it is refreshed, so routing sees a new
team, role or cap from the next offer. Someone removed is forgotten by the desk.
An admin may not remove themselves or change their own role, so an admin is
always left to undo a mistake.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from component.adhoc.flow import Ask, Done, Outcome, Request
from component.adhoc.forms import Answers, Field, Table, bad_payload
from component.muc.events import StaffDirectoryChanged
from component.muc.service import MucService
from roles.refusal import Refused
from storage.staff import (
    MAX_CHATS_RANGE,
    ROLES,
    Role,
    StaffError,
    StaffMember,
    normalize_jid,
    validate,
)

JID = "jid"
COLUMNS = (
    ("jid", "JID"),
    ("name", "Name"),
    ("role", "Role"),
    ("team", "Team"),
    ("max_chats", "Max chats"),
    ("coached", "Coached"),
)
BOOLEAN = {"1": True, "true": True, "0": False, "false": False}  # XEP-0004 §3.3
DEFAULT_MAX_CHATS = StaffMember("", "agent", "", "").max_chats


def describe(m: StaffMember) -> str:
    coached = ", coached" if m.coached else ""
    return f"{m.name} <{m.jid}>, {m.role} in team {m.team}, up to {m.max_chats} chats{coached}"


def _fields(member: StaffMember | None, default_team: str) -> tuple[Field, ...]:
    low, high = MAX_CHATS_RANGE
    return (
        Field("name", "text-single", "Display name", member.name if member else "", required=True),
        Field(
            "role",
            "list-single",
            "Role",
            member.role if member else "agent",
            options=tuple((role, role) for role in ROLES),
            required=True,
        ),
        Field(
            "team", "text-single", "Team", member.team if member else default_team, required=True
        ),
        Field(
            "max_chats",
            "text-single",
            f"Maximum concurrent chats ({low}-{high})",
            str(member.max_chats if member else DEFAULT_MAX_CHATS),
            required=True,
        ),
        Field(
            "coached",
            "boolean",
            "Coached: their answers wait for a supervisor's approval in every chat",
            "1" if member and member.coached else "0",
        ),
    )


def _member(answers: Answers, jid: str) -> StaffMember:
    """The entry the form describes, validated as the directory would (the same
    ``field: problem`` messages, in the same order), or a ``bad-request``."""
    role = cast(Role, answers.text("role", "role"))  # validate() checks it
    member = StaffMember(jid, role, answers.text("team", "team"), answers.text("name", "name"))
    chats = answers.text("max_chats", "max_chats")
    coached = answers.text("coached", "coached") or "0"
    try:
        if coached not in BOOLEAN:
            raise StaffError(f"coached: expected true or false, got {coached!r}")
        member = validate(member)  # every field but max_chats, which has its default
        try:
            max_chats = int(chats)
        except ValueError:
            raise StaffError(f"max_chats: expected a whole number, got {chats!r}") from None
        return validate(replace(member, max_chats=max_chats, coached=BOOLEAN[coached]))
    except StaffError as exc:
        raise bad_payload(str(exc)) from None


def _choose_member(members: list[StaffMember]) -> Field:
    options = tuple((m.jid, f"{m.name} <{m.jid}> · {m.role} · team {m.team}") for m in members)
    return Field(JID, "list-single", "Staff member", options=options, required=True)


def _refresh_desk(muc: MucService, member: StaffMember) -> None:
    coached = member.coached and member.role == "agent"
    muc.events.emit(StaffDirectoryChanged(member.jid, coached=coached))


# -- list-staff -----------------------------------------------------------------------


async def list_staff(request: Request) -> Outcome:
    members = await request.muc.staff.list()
    rows = tuple(
        {
            "jid": m.jid,
            "name": m.name,
            "role": m.role,
            "team": m.team,
            "max_chats": str(m.max_chats),
            "coached": "yes" if m.coached else "no",
        }
        for m in members
    )
    note = "\n".join(describe(m) for m in members) or "Nobody is on the staff."
    return Done(note, Table(COLUMNS, rows), "Staff")


# -- add-staff ------------------------------------------------------------------------


async def add_staff(request: Request) -> Outcome:
    jid = Field(JID, "jid-single", "JID (name@staff-domain)", required=True)
    fields = (jid, *_fields(None, request.muc.config.default_team))
    return Ask("Add a staff member", fields, _add)


async def _add(request: Request, answers: Answers) -> Outcome:
    muc = request.muc
    member = _member(answers, answers.text(JID, "jid"))
    domains = muc.config.staff_domains
    if member.jid.partition("@")[2] not in domains:
        raise bad_payload(f"jid: {member.jid!r} is not on a staff domain ({', '.join(domains)})")
    try:
        await muc.staff.add(member)
    except StaffError as exc:
        raise bad_payload(str(exc)) from None
    _refresh_desk(muc, member)
    return Done(f"Added {describe(member)}.")


# -- edit-staff -----------------------------------------------------------------------


async def edit_staff(request: Request) -> Outcome:
    members = await request.muc.staff.list()
    return Ask("Edit a staff member", (_choose_member(members),), _edit_form, last=False)


async def _edit_form(request: Request, answers: Answers) -> Outcome:
    jid = normalize_jid(answers.required(JID, "jid"))
    member = await request.muc.staff.get(jid)
    if member is None:
        raise bad_payload(f"jid: {jid!r} is not on the staff")

    async def save(request: Request, answers: Answers) -> Outcome:
        return await _save(request, answers, member.jid)

    fields = (Field("", "fixed", "JID", member.jid), *_fields(member, member.team))
    return Ask(f"Edit {member.name}", fields, save)


async def _save(request: Request, answers: Answers, jid: str) -> Outcome:
    muc = request.muc
    current = await muc.staff.get(jid)
    if current is None:
        raise bad_payload(f"jid: {jid!r} is not on the staff any more")
    member = _member(answers, jid)
    if jid == request.person.jid and member.role != current.role:
        raise Refused("not-allowed", "You cannot change your own role; ask another admin.")
    try:
        await muc.staff.update(member)
    except StaffError as exc:
        raise bad_payload(str(exc)) from None
    _refresh_desk(muc, member)
    return Done(f"Saved {describe(member)}.")


# -- remove-staff ---------------------------------------------------------------------


async def remove_staff(request: Request) -> Outcome:
    members = await request.muc.staff.list()
    others = [m for m in members if m.jid != request.person.jid]
    if not others:
        return Done("Nobody else is on the staff.")
    return Ask("Remove a staff member", (_choose_member(others),), _remove)


async def _remove(request: Request, answers: Answers) -> Outcome:
    muc = request.muc
    jid = normalize_jid(answers.required(JID, "jid"))
    if jid == request.person.jid:
        raise Refused("not-allowed", "You cannot remove yourself; ask another admin.")
    member = await muc.staff.get(jid)
    if member is None or not await muc.staff.remove(jid):
        raise bad_payload(f"jid: {jid!r} is not on the staff")
    muc.events.emit(StaffDirectoryChanged(jid, removed=True))
    return Done(f"Removed {member.name} <{member.jid}> from the staff.")

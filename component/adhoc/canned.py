"""Ad-hoc commands for admins (XEP-0050): ``list-canned``, ``add-canned``,
``edit-canned`` and ``remove-canned`` on the canned replies staff say with
``!r <name>``.

A reply belongs to a team, or to every team (no team); a team's own reply wins
over one for every team of the same name. Changes apply at once: ``!r`` reads
the replies every time.
"""

from __future__ import annotations

from component.adhoc.flow import Ask, Done, Outcome, Request
from component.adhoc.forms import Answers, Field, Table, bad_payload
from storage.canned import CannedError, CannedReplies, CannedReply, team_label

CHOICE = "reply"
COLUMNS = (("name", "Name"), ("team", "Team"), ("text", "Text"))
PLACEHOLDERS = "{visitor} is filled in with the visitor's name, {agent} with yours."


def _store(request: Request) -> CannedReplies:
    return CannedReplies(request.muc.db)


def _key(reply: CannedReply) -> str:
    return f"{reply.team}/{reply.name}"


def _describe(reply: CannedReply) -> str:
    return f"{reply.name!r} for {team_label(reply.team)}"


def _choose(replies: list[CannedReply]) -> Field:
    options = tuple((_key(r), f"{r.name} · {team_label(r.team)}") for r in replies)
    return Field(CHOICE, "list-single", "Canned reply", options=options, required=True)


async def _chosen(request: Request, answers: Answers) -> CannedReply:
    team, _, name = answers.required(CHOICE, "reply").partition("/")
    reply = await _store(request).get(team, name)
    if reply is None:
        raise bad_payload(f"reply: there is no canned reply {name!r} for {team_label(team)}")
    return reply


def _text_field(value: str = "") -> Field:
    return Field("text", "text-multi", "Text", value, required=True)


# -- list-canned ----------------------------------------------------------------------


async def list_canned(request: Request) -> Outcome:
    replies = await _store(request).list()
    rows = tuple(
        {"name": r.name, "team": team_label(r.team), "text": " / ".join(r.text.splitlines())}
        for r in replies
    )
    note = "\n".join(f"{_describe(r)}: {r.text}" for r in replies) or "No canned replies yet."
    return Done(note, Table(COLUMNS, rows), "Canned replies")


# -- add-canned -----------------------------------------------------------------------


async def add_canned(request: Request) -> Outcome:
    fields = (
        Field("team", "text-single", "Team (empty: every team)"),
        Field("name", "text-single", "Name (staff type !r <name>)", required=True),
        _text_field(),
    )
    return Ask("Add a canned reply", fields, _add, PLACEHOLDERS)


async def _add(request: Request, answers: Answers) -> Outcome:
    reply = CannedReply(
        answers.text("team", "team"), answers.required("name", "name"), answers.lines("text")
    )
    try:
        added = await _store(request).add(reply)
    except CannedError as exc:
        raise bad_payload(str(exc)) from None
    return Done(f"Added {_describe(added)}.")


# -- edit-canned ----------------------------------------------------------------------


async def edit_canned(request: Request) -> Outcome:
    replies = await _store(request).list()
    if not replies:
        return Done("No canned replies yet; add one first.")
    return Ask("Edit a canned reply", (_choose(replies),), _edit_form, last=False)


async def _edit_form(request: Request, answers: Answers) -> Outcome:
    reply = await _chosen(request, answers)

    async def save(request: Request, answers: Answers) -> Outcome:
        changed = CannedReply(reply.team, reply.name, answers.lines("text"))
        try:
            saved = await _store(request).update(changed)
        except CannedError as exc:
            raise bad_payload(str(exc)) from None
        return Done(f"Saved {_describe(saved)}.")

    fields = (Field("", "fixed", "Reply", _describe(reply)), _text_field(reply.text))
    return Ask(f"Edit {reply.name}", fields, save, PLACEHOLDERS)


# -- remove-canned --------------------------------------------------------------------


async def remove_canned(request: Request) -> Outcome:
    replies = await _store(request).list()
    if not replies:
        return Done("No canned replies yet.")
    return Ask("Remove a canned reply", (_choose(replies),), _remove)


async def _remove(request: Request, answers: Answers) -> Outcome:
    reply = await _chosen(request, answers)
    if not await _store(request).remove(reply.team, reply.name):
        raise bad_payload(f"reply: {_describe(reply)} is gone already")
    return Done(f"Removed {_describe(reply)}.")

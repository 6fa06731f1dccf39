"""The shape of an ad-hoc command (XEP-0050): stages that either ask for a form
or finish with a note.

A command's first stage runs on ``execute``; when it returns ``Ask``, the
requester gets the form and a sessionid, and the submitted answers go to
``Ask.then``. ``Done`` ends the session. Stages raise ``Refused`` for bad input
before changing anything, so an error leaves everything, the session included,
as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from component.adhoc.forms import Answers, Field, Table
from component.desk.desk import Desk
from component.muc.person import Person
from component.muc.service import MucService
from roles.authorization import Action


@dataclass(frozen=True, slots=True)
class Request:
    muc: MucService
    desk: Desk
    person: Person  # looked up again for every stage: a role can change meanwhile
    session_jid: str  # the requesting full JID; invitations go to this client


@dataclass(frozen=True, slots=True)
class Done:
    note: str
    table: Table | None = None
    title: str = ""


Stage = Callable[[Request, Answers], Awaitable["Ask | Done"]]


@dataclass(frozen=True, slots=True)
class Ask:
    title: str
    fields: tuple[Field, ...]
    then: Stage
    instructions: str = ""
    # XEP-0050 §3.4: "complete" when this is the last form, "next" when another follows.
    last: bool = True


Outcome = Ask | Done


@dataclass(frozen=True, slots=True)
class AdhocCommand:
    node: str
    name: str
    action: Action  # what roles.authorization must allow
    start: Callable[[Request], Awaitable[Outcome]]

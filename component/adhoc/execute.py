"""Executing ad-hoc commands (XEP-0050 §3.3 to §4.6): start, go on, cancel.

Every request is checked again: the node must exist (else ``item-not-found``),
the requester's role, looked up in the staff directory now, must allow the
command (else ``forbidden``), and a sessionid must be the requester's own for
this node (else ``bad-request`` with ``<bad-sessionid/>``). A stage that refuses
its input leaves the session as it was, so the form can be corrected and sent
again.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.etree import ElementTree as ET

from slixmpp import Iq
from slixmpp.plugins.xep_0004 import Form
from slixmpp.plugins.xep_0050.stanza import Command
from slixmpp.xmlstream import register_stanza_plugin

from component.addressing import Target
from component.adhoc.flow import AdhocCommand, Ask, Done, Outcome, Request
from component.adhoc.forms import (
    BAD_PAYLOAD,
    NS_COMMANDS,
    read_answers,
    render_fields,
    render_table,
)
from component.adhoc.sessions import Sessions
from component.desk.desk import Desk
from component.muc.service import MucService, Person
from roles.authorization import may
from roles.refusal import Refused

register_stanza_plugin(Iq, Command)
register_stanza_plugin(Command, Form)

ACTIONS = frozenset({"execute", "next", "complete", "prev", "cancel"})
MALFORMED_ACTION = f"{{{NS_COMMANDS}}}malformed-action"
BAD_ACTION = f"{{{NS_COMMANDS}}}bad-action"
BAD_SESSIONID = f"{{{NS_COMMANDS}}}bad-sessionid"


def allowed(person: Person | None, command: AdhocCommand) -> bool:
    """Visitors and strangers (``None``) may run nothing; staff what their role allows."""
    return person is not None and may(person.role, command.action)


class Executor:
    def __init__(
        self, muc: MucService, desk: Desk, commands: Mapping[str, AdhocCommand]
    ) -> None:
        self.muc = muc
        self.desk = desk
        self.commands = commands
        self.sessions = Sessions()

    async def handle(self, iq: Iq, target: Target) -> Iq:
        # Read from the XML: slixmpp's Command defaults a missing action to
        # "execute" and would let an unknown one through.
        payload = iq.xml.find(f"{{{NS_COMMANDS}}}command")
        assert payload is not None  # the router matched on this namespace
        node = payload.get("node", "")
        action = payload.get("action") or "execute"
        sid = payload.get("sessionid", "")
        if action not in ACTIONS:
            raise Refused(
                "bad-request", f"Unknown action {action!r}.", "modify", app=MALFORMED_ACTION
            )
        command = self.commands.get(node)
        if command is None:
            raise Refused("item-not-found", f"There is no command {node!r}.")
        person = await self.muc.person(iq["from"])
        if person is None or not allowed(person, command):
            raise Refused("forbidden", f"You may not run {command.name}.", "auth")
        owner = str(iq["from"])
        request = Request(self.muc, self.desk, person, owner)
        if not sid:
            if action != "execute":
                raise Refused(
                    "bad-request",
                    f"{action} needs the sessionid of a running command.",
                    "modify",
                    app=BAD_SESSIONID,
                )
            return self._reply(iq, node, "", await command.start(request))
        session = self.sessions.get(sid, owner, node)
        if session is None:
            raise Refused(
                "bad-request",
                "No such session; it ended or expired. Run the command again.",
                "modify",
                app=BAD_SESSIONID,
            )
        if action == "cancel":
            self.sessions.close(sid)
            return self._status(iq, node, sid, "canceled")
        if action == "prev":
            raise Refused(
                "bad-request", "This command has no previous stage.", "modify", app=BAD_ACTION
            )
        answers = read_answers(payload)
        if answers is None:
            raise Refused("bad-request", "Submit the form to go on.", "modify", app=BAD_PAYLOAD)
        return self._reply(iq, node, sid, await session.then(request, answers))

    def _reply(self, iq: Iq, node: str, sid: str, outcome: Outcome) -> Iq:
        if isinstance(outcome, Done):
            if sid:
                self.sessions.close(sid)
            reply = self._status(iq, node, sid, "completed")
            command = reply["command"]
            if outcome.table is not None and outcome.table.rows:
                # A form and a note together: poezio shows neither the note nor
                # Gajim both; the rows say it all.
                render_table(command["form"], outcome.title, outcome.table)
            else:
                command.add_note(outcome.note, "info")
            return reply
        ask: Ask = outcome
        if sid:
            self.sessions.advance(sid, ask.then)
        else:
            sid = self.sessions.open(str(iq["from"]), node, ask.then)
        reply = self._status(iq, node, sid, "executing")
        command = reply["command"]
        step = "complete" if ask.last else "next"
        # Built as XML: slixmpp's Command cannot set the default action (``execute``).
        actions = ET.SubElement(command.xml, f"{{{NS_COMMANDS}}}actions", {"execute": step})
        ET.SubElement(actions, f"{{{NS_COMMANDS}}}{step}")
        render_fields(command["form"], ask.title, ask.instructions, ask.fields)
        return reply

    @staticmethod
    def _status(iq: Iq, node: str, sid: str, status: str) -> Iq:
        reply = iq.reply(clear=True)
        command = reply["command"]
        command["node"] = node
        if sid:
            command["sessionid"] = sid
        command["status"] = status
        return reply

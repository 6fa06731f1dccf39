"""Running XEP-0050 ad-hoc commands from a test client: raw IQs out, parsed
replies in, so a test reads "John executes take, picks the chat, gets a note"."""

from __future__ import annotations

from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from component.adhoc.audit import COLUMNS as AUDIT_COLUMNS
from component.adhoc.canned import COLUMNS as CANNED_COLUMNS
from component.adhoc.chats import COLUMNS as CHAT_COLUMNS
from component.adhoc.forms import ROW_SEPARATOR
from component.adhoc.staff import COLUMNS as STAFF_COLUMNS
from tests.integration.client import Client, q

NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
NS_INFO = "http://jabber.org/protocol/disco#info"
NS_ITEMS = "http://jabber.org/protocol/disco#items"
TABLES = (AUDIT_COLUMNS, CANNED_COLUMNS, CHAT_COLUMNS, STAFF_COLUMNS)
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
ALL_COMMANDS = {
    "list-chats",
    "supervise",
    "take",
    "close",
    "list-staff",
    "add-staff",
    "edit-staff",
    "remove-staff",
    "read-audit",
    "list-canned",
    "add-canned",
    "edit-canned",
    "remove-canned",
}
# DESIGN §2 written out: the commands each role may run, and so is offered.
RUNNABLE: dict[str, set[str]] = {
    "visitor": set(),
    "stranger": set(),
    "agent": {"list-chats", "close"},
    "supervisor": {"list-chats", "close", "supervise", "take"},
    "admin": ALL_COMMANDS,
}


def submit_form(fields: dict[str, str]) -> str:
    values = "".join(
        f"<field var={quoteattr(var)}><value>{escape(value)}</value></field>"
        for var, value in fields.items()
    )
    return f"<x xmlns='{NS_DATA}' type='submit'>{values}</x>"


async def execute(
    client: Client,
    service: str,
    node: str,
    *,
    action: str = "",
    sessionid: str = "",
    fields: dict[str, str] | None = None,
) -> ET.Element:
    attrs = f" node={quoteattr(node)}"
    if action:
        attrs += f" action={quoteattr(action)}"
    if sessionid:
        attrs += f" sessionid={quoteattr(sessionid)}"
    form = submit_form(fields) if fields is not None else ""
    # What the command sends (an invitation) arrives before its reply; the
    # cursor stays put so that the test can still expect it.
    cursor = client.cursor
    payload = f"<command xmlns='{NS_COMMANDS}'{attrs}>{form}</command>"
    reply = await client.iq(service, payload, "set")
    client.cursor = cursor
    return reply


async def run(client: Client, service: str, node: str, fields: dict[str, str]) -> ET.Element:
    """Execute a one-form command and submit ``fields``; the final reply."""
    first = await execute(client, service, node)
    assert status(first) == "executing", ET.tostring(first)
    return await execute(client, service, node, sessionid=sessionid(first), fields=fields)


def command(reply: ET.Element) -> ET.Element:
    found = reply.find(q("command", NS_COMMANDS))
    assert found is not None, ET.tostring(reply)
    return found


def status(reply: ET.Element) -> str:
    return command(reply).get("status", "")


def sessionid(reply: ET.Element) -> str:
    return command(reply).get("sessionid", "")


def note(reply: ET.Element) -> str:
    return "\n".join(n.text or "" for n in command(reply).findall(q("note", NS_COMMANDS)))


def form(reply: ET.Element) -> ET.Element:
    found = command(reply).find(q("x", NS_DATA))
    assert found is not None, ET.tostring(reply)
    return found


def options(reply: ET.Element, var: str) -> dict[str, str]:
    """The choices of a list-single field: value → label."""
    for field in form(reply).findall(q("field", NS_DATA)):
        if field.get("var") == var:
            return {
                o.findtext(q("value", NS_DATA), ""): o.get("label", "")
                for o in field.findall(q("option", NS_DATA))
            }
    raise AssertionError(f"no field {var!r} in {ET.tostring(reply)!r}")


def values(reply: ET.Element) -> dict[str, str]:
    """What a form shows, by field: its default or current value."""
    return {
        f.get("var", ""): f.findtext(q("value", NS_DATA), "")
        for f in form(reply).findall(q("field", NS_DATA))
    }


def rows(reply: ET.Element) -> list[dict[str, str]]:
    """The rows of a result table, as ``forms.render_table`` writes them: a field
    per row, labelled with its first cell, the others as "Label: value"."""
    if command(reply).find(q("x", NS_DATA)) is None:
        return []  # an empty table is a note
    by_label = {label: var for columns in TABLES for var, label in columns}
    found = []
    for field in form(reply).findall(q("field", NS_DATA)):
        key = field.get("var", "").rpartition("-")[0]
        row = {key: field.get("label", "")}
        for cell in field.findtext(q("value", NS_DATA), "").split(ROW_SEPARATOR):
            label, _, value = cell.partition(": ")
            row[by_label[label]] = value
        found.append(row)
    return found


def error_text(reply: ET.Element) -> str:
    return reply.findtext(f"{q('error')}/{q('text', NS_STANZAS)}", "")


def app_condition(reply: ET.Element) -> str:
    """XEP-0050's own condition inside an error, such as ``bad-sessionid``."""
    err = reply.find(q("error"))
    assert err is not None, ET.tostring(reply)
    found = err.find(f"{{{NS_COMMANDS}}}*")
    return found.tag.partition("}")[2] if found is not None else ""


async def listed(client: Client, service: str) -> set[str]:
    """The command nodes disco offers this client."""
    reply = await client.iq(service, f"<query xmlns='{NS_ITEMS}' node='{NS_COMMANDS}'/>")
    assert reply.get("type") == "result", ET.tostring(reply)
    return {item.get("node", "") for item in reply.iter(q("item", NS_ITEMS))}

"""XEP-0004 data forms for ad-hoc commands: what a stage asks, what it shows,
and reading what the requester submitted.

Commands describe forms with plain dataclasses; ``render_*`` writes them into
slixmpp's Form stanza. Answers are read from the XML itself: a submitted form
carries no field types, and slixmpp's Form guesses them (a value with a newline
comes back as a list), so each field's values are taken exactly as sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from xml.etree import ElementTree as ET

from slixmpp.plugins.xep_0004 import Form

from roles.refusal import Refused

NS_DATA = "jabber:x:data"
NS_COMMANDS = "http://jabber.org/protocol/commands"
# XEP-0050 §4.6: a form that lacks or garbles a field the command needs.
BAD_PAYLOAD = f"{{{NS_COMMANDS}}}bad-payload"
FieldType = Literal["text-single", "text-multi", "list-single", "jid-single", "fixed"]


@dataclass(frozen=True, slots=True)
class Field:
    var: str  # "" for a fixed field, which only shows text
    type: FieldType
    label: str = ""
    value: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (value, label) of a list-single
    required: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A result form's table: XEP-0004 §3.4 ``reported`` columns and items."""

    columns: tuple[tuple[str, str], ...]  # (var, label)
    rows: tuple[Mapping[str, str], ...]


def bad_payload(text: str) -> Refused:
    return Refused("bad-request", text, "modify", app=BAD_PAYLOAD)


class Answers:
    """The values of a submitted form, one list per field."""

    def __init__(self, values: Mapping[str, list[str]]) -> None:
        self.values = values

    def text(self, var: str, label: str) -> str:
        """The field's single value, stripped; "" when it was left out."""
        values = self.values.get(var, [])
        if len(values) > 1:
            raise bad_payload(f"{label}: expected one value, got {len(values)}")
        return values[0].strip() if values else ""

    def lines(self, var: str) -> str:
        """A text-multi field as one text: XEP-0004 sends each line as a value."""
        return "\n".join(self.values.get(var, [])).strip()

    def required(self, var: str, label: str) -> str:
        value = self.text(var, label)
        if not value:
            raise bad_payload(f"{label}: required")
        return value

    def choice(self, var: str, label: str, allowed: Iterable[str]) -> str:
        value = self.required(var, label)
        choices = tuple(allowed)
        if value not in choices:
            raise bad_payload(f"{label}: expected one of {', '.join(choices)}, got {value!r}")
        return value


def read_answers(command: ET.Element) -> Answers | None:
    """The submitted form inside a ``<command/>``, or None if there is none."""
    form = command.find(f"{{{NS_DATA}}}x")
    if form is None or form.get("type") != "submit":
        return None
    values: dict[str, list[str]] = {}
    for field in form.findall(f"{{{NS_DATA}}}field"):
        var = field.get("var")
        if var:
            values[var] = [v.text or "" for v in field.findall(f"{{{NS_DATA}}}value")]
    return Answers(values)


def render_fields(form: Form, title: str, instructions: str, fields: Iterable[Field]) -> None:
    form["type"] = "form"
    form["title"] = title
    if instructions:
        form["instructions"] = instructions
    for f in fields:
        options = [{"value": value, "label": label} for value, label in f.options]
        added = form.add_field(
            var=f.var,
            ftype=f.type,
            label=f.label,
            required=f.required,
            value=f.value,
            options=options or None,
        )
        if not f.value:
            del added["value"]  # no default: clients must not preselect ""
        required = added.xml.find(f"{{{NS_DATA}}}required")
        if required is not None:
            # slixmpp appends it after the value; XEP-0004's schema wants it first.
            added.xml.remove(required)
            added.xml.insert(0, required)


ROW_SEPARATOR = " · "


def render_table(form: Form, title: str, table: Table) -> None:
    """A table as one read-only line per row: a text-single field labelled with
    the row's first cell, the other cells as "Label: value" in its value.

    COMPAT: XEP-0004 ``reported``/``item`` tables hang Gajim 1.7 at "Executing…"
    and poezio 0.14 shows none of their rows; short fields render in Gajim,
    poezio, Converse.js and Profanity alike.
    """
    form["type"] = "result"
    form["title"] = title
    (key, _), *others = table.columns
    for n, row in enumerate(table.rows, start=1):
        cells = ROW_SEPARATOR.join(f"{label}: {row.get(var, '')}" for var, label in others)
        form.add_field(var=f"{key}-{n}", ftype="text-single", label=row.get(key, ""), value=cells)

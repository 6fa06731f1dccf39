"""Nicks are assigned by the service, never chosen freely.

Visitors get ``<what they asked> (visitor)``; staff get their display name. The
two namespaces never meet, so a visitor cannot probe for a staff nick (LEAKS #18).
"""

from __future__ import annotations

from collections.abc import Container

from roles.model import VISITOR_SUFFIX, Occupant
from roles.visitor_text import flatten

MAX_NICK = 48
# The room's own voice for staff: notices, command replies and announcements come
# from this nick, which only staff see (clients such as Gajim show no message from
# a bare room address). No staff member may hold it.
SERVICE_NICK = "Huddle"


def service_occupant(service_jid: str) -> Occupant:
    """The service occupant as a sender: the desk's announcements are its messages."""
    return Occupant(SERVICE_NICK, service_jid, "admin", SERVICE_NICK)


def _clean(text: str) -> str:
    # No control or bidi characters: a nick must read the same for everyone.
    return flatten(text, MAX_NICK, mark_cut=False)


def is_visitor_nick(nick: str) -> bool:
    return nick.endswith(VISITOR_SUFFIX)


def visitor_nick(requested: str) -> str:
    base = _clean(requested)
    if is_visitor_nick(base):
        base = base[: -len(VISITOR_SUFFIX)].strip()
    return f"{base or 'Visitor'}{VISITOR_SUFFIX}"


def staff_nick(name: str, jid: str, taken: Container[str]) -> str:
    """The display name, or a form of it that no other occupant holds.

    The fallback depends only on the person, never on who else is present, so a
    visible nick does not hint at a hidden namesake.
    """
    base = _clean(name) or jid.split("@", 1)[0]
    if is_visitor_nick(base):
        base = base[: -len(VISITOR_SUFFIX)].strip() or jid.split("@", 1)[0]
    if base not in taken and base != SERVICE_NICK:
        return base
    nick = f"{base} ({jid.split('@', 1)[0]})"
    counter = 2
    while nick in taken:
        nick = f"{base} ({jid.split('@', 1)[0]} {counter})"
        counter += 1
    return nick

"""Who sees what: the one policy every outgoing room stanza is checked against.

A hidden staff member must be, to a visitor, indistinguishable from a nick that is
not in the room. Staff always see everyone; everyone sees themselves.
"""

from __future__ import annotations

from roles.effects import Said
from roles.model import Occupant


def sees(viewer: Occupant, subject: Occupant) -> bool:
    """May ``viewer`` know that ``subject`` is in the room?"""
    return viewer.is_staff or viewer.jid == subject.jid or not subject.hidden


def hears(viewer: Occupant, sender: Occupant, staff_only: bool) -> bool:
    """May ``viewer`` receive a message that ``sender`` said?"""
    if staff_only:
        return viewer.is_staff
    return sees(viewer, sender)


def hears_said(viewer: Occupant, said: Said) -> bool:
    """``hears``, and for a correction or reaction, also heard what it refers to."""
    # A loop, not recursion: a chain of corrections, each correcting the last,
    # can be thousands long.
    link: Said | None = said
    while link is not None:
        if not hears(viewer, link.sender, link.staff_only):
            return False
        link = link.refers_to
    return True


def may_message_privately(sender: Occupant, recipient: Occupant) -> bool:
    """Private messages are staff-to-staff only; to a visitor every nick is absent."""
    return sender.is_staff and recipient.is_staff and sender.jid != recipient.jid


def sees_real_jids(viewer: Occupant) -> bool:
    """Staff are moderators of a semi-anonymous room; visitors see nicks only."""
    return viewer.is_staff


def heard_by_visitors(said: Said) -> bool:
    """Whether a visitor hears ``said``: the same for every visitor, since visitors
    are never hidden and so never hear anything through being its sender. Staff
    hear everything, so this one flag decides for every viewer and can be stored
    with the message when it is archived.

    A loop, not recursion: a chain of corrections may be arbitrarily long.
    """
    step: Said | None = said
    while step is not None:
        if step.staff_only or step.sender.hidden:
            return False
        step = step.refers_to
    return True

"""Text a visitor supplied (name, email, page, first message), made safe to show
to staff.

Staff read it on the desk, in invitations, ``!info``, ``!chats`` and ad-hoc
results, where a line break could forge a desk line ("John took [a1b2]") and a
bidi override could reorder what staff read. Flattening removes line breaks,
control and format characters; quoting marks where the visitor's words start
and end, and the visitor cannot close the quote early.
"""

from __future__ import annotations

import unicodedata

OPEN, CLOSE = "“", "”"
# Categories removed outright: controls (Cc, incl. CR/LF/TAB), format characters
# (Cf: bidi embeddings/overrides/isolates, zero-width joiners, BOM), surrogates,
# unassigned and private-use code points; line and paragraph separators (Zl, Zp).
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Cn", "Co", "Zl", "Zp"})
_SPACES = frozenset({"\t", "\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029"})


def flatten(text: str, limit: int, mark_cut: bool = True) -> str:
    """One line of at most ``limit`` characters (and "…" where it was cut, if
    ``mark_cut``): whitespace runs become one space, invisible and control
    characters go."""
    kept = []
    for char in text:
        if char in _SPACES:
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED:
            kept.append(char)
    flat = " ".join("".join(kept).split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rstrip() + ("…" if mark_cut else "")


def quoted(text: str, limit: int = 200) -> str:
    """The visitor's words in quotes that their text cannot close."""
    flat = flatten(text, limit).replace(OPEN, '"').replace(CLOSE, '"')
    return f"{OPEN}{flat}{CLOSE}"

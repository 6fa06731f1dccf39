"""Emailing a visitor her chat's transcript: to which address, how often.

Only to the address she gave in the pre-chat form, and only if it is one a mail
server can take as it is: a plain ``local@domain.tld`` in ASCII, nothing that
could name a second recipient or add a header. Anything else counts as no
address given.
"""

from __future__ import annotations

import re

# Per chat: enough to retry or send again later, too few to flood her inbox.
MAILS_PER_CHAT = 3
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_LOCAL = rf"(?=[^@]{{1,64}}@){_ATOM}(\.{_ATOM})*"
_ADDRESS = re.compile(rf"{_LOCAL}@(?=.{{1,253}}$){_LABEL}(\.{_LABEL})+")


def mail_address(text: str) -> str | None:
    """``text`` if it is a usable email address, else None."""
    return text if _ADDRESS.fullmatch(text) else None

"""A request the policy refuses, with the XMPP condition that explains it.

The policy raises; the XMPP edge turns the refusal into an error reply in one
place, so no policy code builds stanzas.
"""

from __future__ import annotations

from typing import Literal

ErrorType = Literal["auth", "cancel", "continue", "modify", "wait"]


class Refused(Exception):
    """``app`` is an optional application-specific condition (RFC 6120 §8.3.4) in
    Clark notation, such as ``{http://jabber.org/protocol/commands}bad-sessionid``
    (XEP-0050 §4.6); ``app_attrs`` its attributes, such as the ``feature`` of
    XEP-0060's ``unsupported``."""

    def __init__(
        self,
        condition: str,
        text: str = "",
        etype: ErrorType = "cancel",
        app: str = "",
        app_attrs: dict[str, str] | None = None,
    ) -> None:
        super().__init__(text or condition)
        self.condition = condition
        self.text = text
        self.etype = etype
        self.app = app
        self.app_attrs = app_attrs or {}

"""What the widget tells about a visitor: ``<visitor xmlns='urn:huddle:visitor:0'>``.

The widget's pre-chat form (name, email) and the page the chat started on reach
the component in the visitor's join presence (or any later presence, or a
bodiless groupchat message). They are for staff (``!info``, desk announcements)
and are never reflected to anyone: the element is not on any allowlist.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree as ET

from roles.visitor_text import flatten

NS_VISITOR = "urn:huddle:visitor:0"
LIMITS = {"name": 64, "email": 254, "page": 2000, "user-agent": 400}


@dataclass(frozen=True, slots=True)
class VisitorDetails:
    name: str = ""
    email: str = ""
    page: str = ""
    user_agent: str = ""


def parse_visitor_details(stanza: ET.Element) -> VisitorDetails | None:
    element = stanza.find(f"{{{NS_VISITOR}}}visitor")
    if element is None:
        return None
    values: dict[str, str] = {}
    for field, limit in LIMITS.items():
        child = element.find(f"{{{NS_VISITOR}}}{field}")
        # Flattened: staff read these on desk lines a line break could forge.
        text = flatten(child.text or "", limit) if child is not None else ""
        values[field.replace("-", "_")] = text
    return VisitorDetails(**values)

"""Turning refusals and failures into XMPP error replies, in one place.

Handlers raise ``Refused`` (or slixmpp's ``XMPPError``); nothing else builds
error stanzas. Unexpected exceptions become ``internal-server-error`` and are
logged with the stanza that caused them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TypeVar
from xml.etree import ElementTree as ET

from slixmpp.exceptions import XMPPError
from slixmpp.stanza.rootstanza import RootStanza

from roles.refusal import Refused

log = logging.getLogger(__name__)
S = TypeVar("S", bound=RootStanza)
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def send_error(stanza: RootStanza, condition: str, text: str, etype: str, app: str = "") -> None:
    if stanza["type"] == "error":
        return  # never answer an error with an error (RFC 6120 §8.3.1)
    # Built by hand: Message.reply() would address a groupchat error to the bare JID.
    reply = type(stanza)(stream=stanza.stream)
    reply["to"] = stanza["from"]
    reply["from"] = stanza["to"]
    if stanza["id"]:
        reply["id"] = stanza["id"]
    reply["type"] = "error"
    # Built as XML: slixmpp's Error stanza silently rejects RFC 6120 conditions
    # it does not list, such as policy-violation.
    error = ET.SubElement(reply.xml, f"{{{reply.namespace}}}error", type=etype)
    ET.SubElement(error, f"{{{NS_STANZAS}}}{condition}")
    if text:
        ET.SubElement(error, f"{{{NS_STANZAS}}}text").text = text
    if app:
        ET.SubElement(error, app)  # after the text, as RFC 6120 §8.3.2 orders them
    reply.send()


def reply_errors(handler: Callable[[S], Awaitable[None]]) -> Callable[[S], Awaitable[None]]:
    @wraps(handler)
    async def wrapper(stanza: S) -> None:
        try:
            await handler(stanza)
        except Refused as refused:
            log.info("refused %s from %s: %s", stanza.name, stanza["from"], refused.condition)
            send_error(stanza, refused.condition, refused.text, refused.etype, refused.app)
        except XMPPError as err:
            send_error(stanza, err.condition, err.text or "", err.etype)
        except Exception:
            log.exception("failed to handle %s", stanza)
            send_error(stanza, "internal-server-error", "", "wait")

    return wrapper


def error_condition(stanza: RootStanza) -> str:
    """The defined condition of an error stanza, read from the XML itself.

    COMPAT: slixmpp's ``stanza["error"]`` does not find the error element of a
    stanza received on a component stream, and makes a new one instead.
    """
    error = stanza.xml.find(f"{{{stanza.namespace}}}error")
    if error is None:
        return ""
    for child in error:
        namespace, _, name = child.tag[1:].partition("}")
        if namespace == NS_STANZAS and name != "text":
            return name
    return ""

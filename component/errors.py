"""Turning refusals and failures into XMPP error replies, in one place.

Handlers raise ``Refused`` (or slixmpp's ``XMPPError``); nothing else builds
error stanzas. Unexpected exceptions become ``internal-server-error`` and are
logged with the stanza that caused them.

A stanza whose addresses slixmpp cannot parse is answered ``jid-malformed``
before any handler sees it. COMPAT: Prosody 0.12 lets through addresses that
slixmpp's stringprep refuses (a nick with U+2064 or U+A4C7, unassigned in the
Unicode version stringprep knows), and reading ``stanza["to"]`` then raises
``InvalidJID`` wherever a handler does it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TypeVar
from xml.etree import ElementTree as ET

from slixmpp.exceptions import XMPPError
from slixmpp.jid import InvalidJID
from slixmpp.stanza.rootstanza import RootStanza

from roles.refusal import Refused

log = logging.getLogger(__name__)
S = TypeVar("S", bound=RootStanza)
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def send_error(
    stanza: RootStanza,
    condition: str,
    text: str,
    etype: str,
    app: str = "",
    app_attrs: dict[str, str] | None = None,
) -> None:
    if stanza["type"] == "error":
        return  # never answer an error with an error (RFC 6120 §8.3.1)
    # Built by hand: Message.reply() would address a groupchat error to the bare JID.
    # The addresses are copied as text, not parsed: the one being answered may
    # be one slixmpp cannot parse (see ``reply_errors``).
    reply = type(stanza)(stream=stanza.stream)
    for ours, theirs in (("to", "from"), ("from", "to")):
        if address := stanza.xml.get(theirs):
            reply.xml.set(ours, address)
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
        ET.SubElement(error, app, app_attrs or {})  # after the text, as RFC 6120 §8.3.2 orders them
    # slixmpp's outgoing filters parse the addresses (its roster files every
    # presence sent): an answer to an address it cannot parse must skip them.
    if reply.stream is not None:
        reply.stream.send(reply, use_filters=addressable(reply))


def send_refusal(stanza: RootStanza, refused: Refused) -> None:
    send_error(
        stanza, refused.condition, refused.text, refused.etype, refused.app, refused.app_attrs
    )


def addressable(stanza: RootStanza) -> bool:
    """Whether slixmpp can parse the stanza's addresses."""
    try:
        stanza["to"]
        stanza["from"]
    except InvalidJID:
        return False
    return True


def reply_errors(handler: Callable[[S], Awaitable[None]]) -> Callable[[S], Awaitable[None]]:
    @wraps(handler)
    async def wrapper(stanza: S) -> None:
        if not addressable(stanza):
            log.info("unparsable address in %s to %r", stanza.name, stanza.xml.get("to", "")[:200])
            # Unavailable presence asks for no answer; error stanzas get none anyway.
            if not (stanza.name == "presence" and stanza["type"] == "unavailable"):
                send_error(stanza, "jid-malformed", "That address is not valid.", "modify")
            return
        try:
            await handler(stanza)
        except Refused as refused:
            log.info("refused %s from %s: %s", stanza.name, stanza["from"], refused.condition)
            send_refusal(stanza, refused)
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

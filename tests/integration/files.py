"""Sharing a file as clients do: an XEP-0363 slot from the real Prosody's upload
service, the file PUT over HTTP to that Prosody, then its URL in a groupchat
message with XEP-0066 out-of-band data (Conversations, Gajim, Dino, Converse.js:
the body is the URL too).

Prosody routes HTTP by the Host header and the slot URLs name the upload
services (``upload.guest.localhost``), which this machine's resolver need not
know; requests go to loopback with the URL's host in the header, as a browser
that resolves ``*.localhost`` itself sends them.
"""

from __future__ import annotations

import asyncio
import http.client
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from component.dev.ports import LOOPBACK
from tests.integration.client import Client, Match, q

UPLOAD = "urn:xmpp:http:upload:0"
OOB = "jabber:x:oob"
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Slot:
    put: str
    get: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def request(filename: str, size: int, content_type: str = "image/png") -> str:
    return (
        f"<request xmlns='{UPLOAD}' filename='{filename}' size='{size}' "
        f"content-type='{content_type}'/>"
    )


async def ask_slot(
    client: Client, service: str, filename: str, size: int, content_type: str = "image/png"
) -> ET.Element:
    """The upload service's answer to a slot request: a result or an error."""
    return await client.iq(service, request(filename, size, content_type))


def slot_of(reply: ET.Element) -> Slot:
    slot = reply.find(q("slot", UPLOAD))
    assert reply.get("type") == "result" and slot is not None, ET.tostring(reply)
    put = slot.find(q("put", UPLOAD))
    get = slot.find(q("get", UPLOAD))
    assert put is not None and get is not None, ET.tostring(reply)
    headers = {h.get("name", ""): h.text or "" for h in put.findall(q("header", UPLOAD))}
    return Slot(put.get("url", ""), get.get("url", ""), headers)


def _http(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> Response:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.port, url
    connection = http.client.HTTPConnection(LOOPBACK, parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path, body=body, headers={"Host": parts.netloc, **headers})
        response = connection.getresponse()
        return Response(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


async def http_call(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Response:
    return await asyncio.to_thread(_http, method, url, body, headers or {})


async def upload(
    client: Client, service: str, data: bytes, filename: str = "", content_type: str = "image/png"
) -> str:
    """Upload ``data`` through ``service`` as ``client``; returns the URL to share."""
    name = filename or f"photo-{secrets.token_hex(4)}.png"
    slot = slot_of(await ask_slot(client, service, name, len(data), content_type))
    put = await http_call("PUT", slot.put, data, {**slot.headers, "Content-Type": content_type})
    assert put.status == 201, put
    return slot.get


def file_message(room: str, url: str, msg_id: str = "", body: str | None = None) -> str:
    ident = f" id='{msg_id}'" if msg_id else ""
    text = url if body is None else body
    return (
        f"<message to='{room}' type='groupchat'{ident}><body>{text}</body>"
        f"<x xmlns='{OOB}'><url>{url}</url></x></message>"
    )


def oob_url(stanza: ET.Element) -> str | None:
    return stanza.findtext(f"{q('x', OOB)}/{q('url', OOB)}")


def file_from(sender: str, url: str) -> Match:
    """A groupchat message from ``sender`` sharing ``url`` out of band."""

    def match(s: ET.Element) -> bool:
        return (
            s.tag == q("message")
            and s.get("type") == "groupchat"
            and s.get("from") == sender
            and oob_url(s) == url
        )

    return match

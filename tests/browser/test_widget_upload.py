"""Sharing a file from the widget: Converse's own XEP-0363 upload (the paperclip),
to the visitor host's upload service, which Prosody runs (mod_http_file_share).
The file lands in the chat as a link with out-of-band data, and Jennie can fetch it."""

from __future__ import annotations

import asyncio
import http.client
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import pytest
from playwright.async_api import expect

from component.dev.ports import LOOPBACK
from tests.browser.pages import delivery, screenshot
from tests.browser.test_widget import open_chat
from tests.integration.client import q

pytestmark = [pytest.mark.browser, pytest.mark.integration]

NS_OOB = "jabber:x:oob"
# A PNG of one pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e7f1e6f30000000049454e44ae426082"
)


def fetch(url: str) -> tuple[int, bytes]:
    """GET over loopback with the URL's host in the header, as a browser resolving
    *.localhost by itself sends it (this machine's resolver need not know the name)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(LOOPBACK, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path, headers={"Host": parts.netloc})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


async def test_the_visitor_shares_a_file_with_the_paperclip(stack, connect, desk, new_page):
    upload_service = getattr(stack.info, "visitor_upload", None)
    if not upload_service:
        pytest.skip(
            "the dev stack has no upload service for visitors yet "
            "(prosody-config/dev.cfg.lua.in: http_file_share for the visitor host)"
        )
    chat = await open_chat(stack, connect, desk, new_page)
    page = chat.page
    paperclip = page.get_by_role("button", name="Choose a file to send")
    await expect(paperclip).to_be_visible()

    await page.locator(".huddle-chat input.fileupload").set_input_files(
        files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": PNG}]
    )

    def shared_file(s: ET.Element) -> bool:
        x = s.find(q("x", NS_OOB))
        return s.get("from") == chat.visitor and x is not None

    shared = await chat.agent.expect(shared_file, what="the visitor's file")
    url = shared.find(q("x", NS_OOB)).findtext(q("url", NS_OOB))
    assert url.startswith(f"http://{upload_service}:") and url.endswith("/receipt.png"), url
    assert shared.findtext(q("body")) == url
    status, content = await asyncio.to_thread(fetch, url)
    assert (status, content) == (200, PNG)

    # Shown in her chat, and delivered.
    link = page.locator(f"[href='{url}'], [src='{url}']")
    shown = page.locator(".huddle-chat converse-chat-message", has=link)
    await expect(shown).to_be_visible()
    await expect(delivery(page, "")).to_have_count(0)
    await screenshot(page, "widget-file-shared")

"""``huddle dev`` serves the visitor widget, the staff console and Converse.js."""

import asyncio
import urllib.request

import pytest

from component.dev.stack import DevStack
from component.dev.web import CONVERSE_DIST, WEB_DIR, install_pages

pytestmark = pytest.mark.integration
TIMEOUT = 10.0


def test_www_links_to_the_pages_and_converse(tmp_path):
    www = tmp_path / "www"
    problem = install_pages(www)
    assert (www / "chat").resolve() == WEB_DIR / "chat"
    assert (www / "console").resolve() == WEB_DIR / "console"
    assert (www / "converse").readlink() == CONVERSE_DIST
    assert 'href="console/"' in (www / "index.html").read_text()
    assert (problem is None) == (CONVERSE_DIST / "converse.min.js").is_file()
    # Again on the same folder (a rerun of `huddle dev`): nothing to redo, no error.
    assert install_pages(www) == problem


def test_a_folder_put_there_by_hand_is_left_alone(tmp_path):
    www = tmp_path / "www"
    (www / "chat").mkdir(parents=True)
    (www / "chat" / "index.html").write_text("mine")
    install_pages(www)
    assert (www / "chat" / "index.html").read_text() == "mine"


async def test_prosody_serves_widget_console_and_converse(tmp_path):
    if not (CONVERSE_DIST / "converse.min.js").is_file():
        pytest.skip("Converse.js is not installed (scripts/setup.sh)")

    def fetch(url: str) -> tuple[int, str, bytes]:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status, response.headers["Content-Type"], response.read()

    async with DevStack(tmp_path / "dev", start_component=False) as stack:
        info = stack.info
        assert info.widget_url == f"{info.http_url}chat/"
        assert info.console_url == f"{info.http_url}console/"
        for url, expected in [
            (info.widget_url, b"huddle-widget.js"),
            (f"{info.widget_url}huddle-widget.js", b"data-websocket"),
            (f"{info.widget_url}huddle-visitor.js", b"urn:huddle:visitor:0"),
            (info.console_url, b"huddle-console.js"),
            (f"{info.http_url}converse/converse.min.js", b"converse"),
        ]:
            status, content_type, body = await asyncio.to_thread(fetch, url)
            assert status == 200 and expected in body, url
            if url.endswith(".js"):
                # Browsers refuse ES modules served as anything but JavaScript.
                assert "javascript" in content_type, (url, content_type)
        # The websocket is still Prosody's, not a file under /.
        status, _, body = await asyncio.to_thread(fetch, f"{info.http_url}xmpp-websocket")
        assert b"websocket" in body.lower()

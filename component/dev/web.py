"""The web pages ``huddle dev`` serves: the visitor widget, the staff console, Converse.js.

Prosody serves the state directory's ``www`` folder at ``/``; this lays it out as a
production server would be laid out (see prosody-config/WIDGET.md)::

    www/index.html   a page linking the two below
    www/chat/        the visitor widget        -> prosody-config/web/chat
    www/console/     the staff web console     -> prosody-config/web/console
    www/converse/    Converse.js's dist files  -> prosody-config/web/node_modules/...
    www/uplot/       uPlot's dist files        -> prosody-config/web/node_modules/...

Symlinks, not copies: an edit to the widget shows on the next page reload. (Run
from an installed wheel, they point into its package data: component/shipped.py.)
"""

from __future__ import annotations

from pathlib import Path

from component import shipped

WEB_DIR = shipped.path("web/chat").parent
CONVERSE_DIST = shipped.path("web/converse")
UPLOT_DIST = shipped.path("web/uplot")
WIDGET_PATH = "/chat/"
CONSOLE_PATH = "/console/"

INDEX_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>Huddle dev server</title>
<h1>Huddle dev server</h1>
<ul>
  <li><a href="chat/">Visitor widget</a>: a page with the chat widget, as on your website</li>
  <li><a href="console/">Staff web console</a>: log in as a demo staff member</li>
</ul>
"""


def _link(link: Path, target: Path) -> None:
    # Replace our own earlier link (the repository may have moved), but never a
    # real folder someone put there by hand.
    if link.is_symlink():
        if link.readlink() == target:
            return
        link.unlink()
    elif link.exists():
        return
    link.symlink_to(target, target_is_directory=True)


def install_pages(www: Path) -> str | None:
    """Lay out ``www`` as the module docstring shows; returns what is missing, if anything.

    A missing Converse.js is a warning, not an error: the XMPP side of the stack
    (and every test but the browser ones) works without it.
    """
    www.mkdir(parents=True, exist_ok=True)
    _link(www / "chat", WEB_DIR / "chat")
    _link(www / "console", WEB_DIR / "console")
    _link(www / "converse", CONVERSE_DIST)
    _link(www / "uplot", UPLOT_DIST)
    (www / "index.html").write_text(INDEX_PAGE)
    if (CONVERSE_DIST / "converse.min.js").is_file():
        return None
    return (
        f"Converse.js is not installed in {WEB_DIR / 'node_modules'}, so the widget and "
        f"console pages will not work: run scripts/setup.sh (or `npm ci` in {WEB_DIR})"
    )

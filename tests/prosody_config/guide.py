"""Reading the guides as an admin reads them: a section by its heading, the
shell commands of a numbered section of ADMIN.md. Tests run what the guide
says rather than a copy of it, so the guide and the tests cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

from tests.lifecycle.processes import REPO

ADMIN_MD = REPO / "prosody-config" / "ADMIN.md"
WIDGET_MD = REPO / "prosody-config" / "WIDGET.md"


def section(text: str, heading: str) -> str:
    """The Markdown section under ``heading`` (a line starting with #), to the next
    heading of the same or a higher level; lines in code blocks are no headings."""
    lines = text.splitlines(keepends=True)
    fenced = False
    start = level = None
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        found = None if fenced else re.match(r"(#+) (.*?)\s*$", line)
        if found is None:
            continue
        if start is None:
            if found.group(2) == heading:
                start, level = index + 1, len(found.group(1))
        elif len(found.group(1)) <= level:
            return "".join(lines[start:index])
    assert start is not None, f"no heading {heading!r}"
    return "".join(lines[start:])


def numbered(text: str, number: int) -> str:
    """ADMIN.md's section ``number`` ("## 5. Prosody's config"), subsections included."""
    match = re.search(rf"^## {number}\. (.+)$", text, re.MULTILINE)
    assert match, f"no section {number}"
    return section(text, f"{number}. {match.group(1)}")


def shell_blocks(text: str) -> list[str]:
    """The ```sh blocks of ``text``, as written."""
    return re.findall(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def command_block(number: int, containing: str, path: Path = ADMIN_MD) -> str:
    """The one shell block of section ``number`` that contains ``containing``."""
    found = [b for b in shell_blocks(numbered(path.read_text(), number)) if containing in b]
    assert len(found) == 1, f"section {number}: {len(found)} shell blocks with {containing!r}"
    return found[0]

"""The files Huddle ships besides its code, and where to find them.

Prosody's config templates, the system files an admin installs (systemd units, the
``huddle-admin`` and ``huddle-backup`` scripts), ``huddle.example.toml`` and the web
pages: the widget and staff console with the dist files of Converse.js and uPlot.

One table, ``SHIPPED``, says where each is in a checkout and where in the installed
package, so the build and the code that reads the files cannot disagree:

- installed from a wheel, they are package data in ``component/_data/``, found
  through ``importlib.resources``; ``scripts/hatch_build.py`` puts them there (it
  loads this file by its path, so it imports nothing but the standard library);
- in a checkout (``pip install -e``, ``huddle dev``, the tests) there is no
  ``_data`` folder, and they are read where they are edited: ``prosody-config/``,
  and ``prosody-config/web/node_modules/`` as ``npm ci`` left it.
"""

from __future__ import annotations

import fnmatch
import importlib.resources
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Inside the ``component`` package of an installed wheel.
PACKAGE = "component"
PACKAGE_DATA = "_data"
NODE_MODULES = "prosody-config/web/node_modules"


@dataclass(frozen=True, slots=True)
class Shipped:
    """A file or folder: ``source`` in a checkout, ``target`` under ``_data``."""

    source: str
    target: str
    # Names (fnmatch patterns) of files in a folder that no page loads.
    skip: tuple[str, ...] = ()


# What admins install on the system, printed by `huddle system-file NAME`.
SYSTEM_FILES = (
    "huddle.service",
    "huddle-admin",
    "huddle-backup",
    "huddle-backup.service",
    "huddle-backup.timer",
    # nginx in front of Prosody on the chat machine, and on the shop's website
    # (ADMIN.md, "A reverse proxy on port 443").
    "nginx-huddle.conf",
    "nginx-website.conf",
)
# The folders `huddle web install` lays out, under web/ in the package.
WEB_FOLDERS = ("chat", "console", "converse", "uplot")
# Source maps and the unminified builds: the pages load converse.min.js,
# converse.min.css (and the chunks, fonts, sounds and images beside them),
# uPlot.esm.js and uPlot.min.css.
_CONVERSE_SKIP = ("*.map", "converse.js", "converse.css", "website.css", "website.min.css")
_UPLOT_SKIP = ("*.map", "*.d.ts")

SHIPPED: tuple[Shipped, ...] = (
    Shipped("prosody-config/dev.cfg.lua.in", "prosody/dev.cfg.lua.in"),
    Shipped("prosody-config/production.cfg.lua.in", "prosody/production.cfg.lua.in"),
    Shipped("prosody-config/visitor-fence.pfw.in", "prosody/visitor-fence.pfw.in"),
    Shipped("huddle.example.toml", "huddle.example.toml"),
    *(Shipped(f"prosody-config/{name}", f"system/{name}") for name in SYSTEM_FILES),
    Shipped("prosody-config/web/chat", "web/chat"),
    Shipped("prosody-config/web/console", "web/console"),
    Shipped(f"{NODE_MODULES}/converse.js/dist", "web/converse", _CONVERSE_SKIP),
    Shipped(f"{NODE_MODULES}/uplot/dist", "web/uplot", _UPLOT_SKIP),
    # Their licences travel with them (MPL-2.0 and MIT); not served.
    Shipped(f"{NODE_MODULES}/converse.js/LICENSE", "licenses/converse.js/LICENSE"),
    Shipped(f"{NODE_MODULES}/converse.js/COPYRIGHT", "licenses/converse.js/COPYRIGHT"),
    Shipped(f"{NODE_MODULES}/uplot/LICENSE", "licenses/uplot/LICENSE"),
)


class ShippedFileMissing(FileNotFoundError):
    """A shipped file is not where it should be: a broken install, or no ``npm ci``."""


def checkout_root() -> Path:
    """The top folder of the checkout this module would be in."""
    return Path(__file__).resolve().parents[1]


def package_data() -> Path | None:
    """``component/_data`` of an installed wheel; None when running from a checkout."""
    data = importlib.resources.files(PACKAGE) / PACKAGE_DATA
    if not data.is_dir():
        return None
    # pip always unpacks wheels; Prosody and `huddle dev` need real paths.
    if not isinstance(data, Path):
        raise ShippedFileMissing(f"Huddle's data files are not on disk ({data})")
    return data


def _entry(target: str) -> tuple[Shipped, str]:
    """The table's entry holding ``target``, and the rest of the path inside it."""
    for entry in SHIPPED:
        if target == entry.target:
            return entry, ""
        if target.startswith(entry.target + "/"):
            return entry, target[len(entry.target) + 1 :]
    raise KeyError(f"{target!r} is not a file Huddle ships")


def path(target: str) -> Path:
    """Where the shipped file or folder ``target`` (e.g. ``"web/chat"``,
    ``"prosody/production.cfg.lua.in"``) is: in the installed package, or in the
    checkout. Whether it exists is the caller's to check (before ``npm ci`` the
    web dist folders do not)."""
    entry, rest = _entry(target)
    data = package_data()
    if data is not None:
        return data / target
    source = checkout_root() / entry.source
    return source / rest if rest else source


def read_text(target: str) -> str:
    """The text of one shipped file; ShippedFileMissing names it if it is not there."""
    where = path(target)
    try:
        return where.read_text()
    except FileNotFoundError:
        raise ShippedFileMissing(f"{where} is missing: reinstall Huddle") from None


def walk(folder: Path, skip: tuple[str, ...] = ()) -> Iterator[str]:
    """Files under ``folder`` as sorted POSIX paths relative to it, leaving out
    names matching ``skip``; symbolic links to files are followed, hidden
    files and folders (editor and tool droppings) left out."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        relative = PurePosixPath(Path(root).relative_to(folder).as_posix())
        for name in sorted(files):
            if name.startswith(".") or any(fnmatch.fnmatchcase(name, p) for p in skip):
                continue
            yield str(relative / name) if relative.parts else name


def tree(target: str) -> list[tuple[str, Path]]:
    """The files of the shipped folder ``target`` as (name relative to it, path)."""
    entry, rest = _entry(target)
    if rest:
        raise KeyError(f"{target!r} is inside {entry.target!r}, not a shipped folder")
    folder = path(target)
    if not folder.is_dir():
        raise ShippedFileMissing(f"{folder} is missing")
    return [(name, folder / name) for name in walk(folder, entry.skip)]


def checkout_files(root: Path) -> Iterator[tuple[str, str]]:
    """Every shipped file of the checkout at ``root``, as (source, target) paths:
    what the build copies into ``component/_data``. ShippedFileMissing names the
    first missing source."""
    for entry in SHIPPED:
        source = root / entry.source
        if source.is_file():
            yield entry.source, entry.target
        elif source.is_dir():
            for name in walk(source, entry.skip):
                yield f"{entry.source}/{name}", f"{entry.target}/{name}"
        else:
            raise ShippedFileMissing(str(source))

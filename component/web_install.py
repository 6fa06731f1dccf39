"""``huddle web install DIR``: the widget's and staff console's files, where Prosody serves them.

DIR gets ``chat/`` (the visitor widget), ``console/`` (the staff console),
``converse/`` and ``uplot/`` (the dist files of Converse.js and uPlot), from the
installed package or the checkout (component/shipped.py), laid out as
prosody-config/WIDGET.md describes; Prosody serves DIR at ``/`` (``huddle
prosody-config --www-dir``, ``/var/www/huddle`` by default). Run it again after an
upgrade: it writes the files that changed, removes those an earlier version
installed that this one no longer ships, and says what it did; run twice, the
second run changes nothing. Each file is replaced whole (written beside it, then
renamed), so Prosody never serves half of one.

``chat/index.html``, the stand-in shop page of ``huddle dev``, is installed only with
``--demo``: a production site must not serve a fake shop.

DIR keeps the list of what was installed in ``.huddle-web.json``, so that the next
run knows which files are Huddle's. A folder without that list is taken only if it
is empty, or holds nothing but the four folders with the widget in ``chat/`` (laid
out by hand, as earlier versions of the guide said); any other folder is refused and
left as it was, so a mistyped DIR costs nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from component import shipped

MARKER = ".huddle-web.json"
MARKER_FORMAT = 1
DEMO_PAGE = "chat/index.html"
# Prosody runs as its own user: everything readable by all, writable by root.
FILE_MODE = 0o644
DIR_MODE = 0o755


class Refused(Exception):
    """DIR is not a folder ``huddle web install`` may write into."""


@dataclass(slots=True)
class Report:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # Laid out by hand before: taken over without a list of its files.
    adopted: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.removed)


def web_files(*, demo: bool = False) -> dict[str, Path]:
    """What Huddle's web folder holds: path in DIR → the shipped file."""
    files = {
        f"{folder}/{name}": source
        for folder in shipped.WEB_FOLDERS
        for name, source in shipped.tree(f"web/{folder}")
    }
    if not demo:
        files.pop(DEMO_PAGE, None)
    return files


def _ours(name: object) -> bool:
    """A path a list of installed files may name: inside one of the four folders."""
    if not isinstance(name, str):
        return False
    parts = PurePosixPath(name).parts
    return (
        len(parts) >= 2
        and parts[0] in shipped.WEB_FOLDERS
        and not PurePosixPath(name).is_absolute()
        and all(part not in ("", ".", "..") for part in parts)
    )


def earlier_files(target: Path) -> tuple[set[str], bool]:
    """The files an earlier run installed in ``target``, and whether the folder was
    laid out by hand (no list); Refused if ``target`` is not Huddle's to write."""
    if not target.exists():
        return set(), False
    if not target.is_dir():
        raise Refused(f"{target} is not a folder")
    marker = target / MARKER
    if marker.exists():
        try:
            listed = json.loads(marker.read_text())
            files = listed["files"]
            if listed.get("format") != MARKER_FORMAT or not isinstance(files, list):
                raise ValueError(f"not a list of format {MARKER_FORMAT}")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise Refused(f"{marker} is not one huddle web install wrote ({exc})") from None
        if not all(_ours(name) for name in files):
            raise Refused(f"{marker} names files outside {', '.join(shipped.WEB_FOLDERS)}")
        return set(files), False
    entries = sorted(entry.name for entry in target.iterdir())
    if not entries:
        return set(), False
    by_hand = (
        set(entries) <= set(shipped.WEB_FOLDERS)
        and all((target / e).is_dir() and not (target / e).is_symlink() for e in entries)
        and (target / "chat" / "huddle-widget.js").is_file()
    )
    if not by_hand:
        shown = ", ".join(entries[:5]) + (", …" if len(entries) > 5 else "")
        raise Refused(
            f"{target} is not empty ({shown}) and has no {MARKER}: it does not look like "
            "Huddle's web folder. Give an empty or new folder"
        )
    found = {f"{e}/{name}" for e in entries for name in shipped.walk(target / e)}
    return found, True


def _check_room(target: Path, files: Mapping[str, Path]) -> None:
    """Refused before anything is written if a file's place is taken by a folder,
    or one of its folders by a file or a symbolic link (writing through a link
    could overwrite what it points to: `huddle dev`'s folder links to the checkout)."""
    folders: set[PurePosixPath] = set()
    for name in files:
        folders.update(PurePosixPath(name).parents)
        if (target / name).is_dir() and not (target / name).is_symlink():
            raise Refused(f"{target / name} is a folder, where a file goes")
    for folder in sorted(folders):
        where = target / folder
        if folder.parts and (where.is_symlink() or (where.exists() and not where.is_dir())):
            raise Refused(f"{where} is not a plain folder (a symbolic link or a file)")


def _write(dest: Path, data: bytes, mode: int = FILE_MODE) -> None:
    handle, temporary = tempfile.mkstemp(dir=dest.parent, prefix=".huddle-web-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), mode)
        os.replace(temporary, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _make_folders(target: Path, name: str) -> None:
    for folder in reversed(PurePosixPath(name).parents[:-1]):
        where = target / folder
        if not where.is_dir():
            where.mkdir(mode=DIR_MODE)
            where.chmod(DIR_MODE)


def _remove(target: Path, name: str) -> bool:
    """Remove one earlier file and the folders it leaves empty; whether it was there."""
    where = target / name
    if not (where.is_file() or where.is_symlink()):
        return False
    where.unlink()
    for folder in PurePosixPath(name).parents[:-1]:
        try:
            (target / folder).rmdir()
        except OSError:  # not empty: other files live there
            break
    return True


def install(target: Path, files: Mapping[str, Path]) -> Report:
    """Make ``target`` hold exactly ``files`` of Huddle's (see the module docstring)."""
    earlier, adopted = earlier_files(target)
    _check_room(target, files)
    report = Report(adopted=adopted)
    if not target.exists():
        target.mkdir(mode=DIR_MODE, parents=True)
        target.chmod(DIR_MODE)
    for name, source in sorted(files.items()):
        data = source.read_bytes()
        dest = target / name
        if dest.is_file() and not dest.is_symlink() and dest.read_bytes() == data:
            report.unchanged.append(name)
            continue
        (report.updated if dest.exists() or dest.is_symlink() else report.new).append(name)
        _make_folders(target, name)
        _write(dest, data)
    for name in sorted(earlier - files.keys()):
        if _remove(target, name):
            report.removed.append(name)
    listed = json.dumps({"format": MARKER_FORMAT, "files": sorted(files)}, indent=1) + "\n"
    marker = target / MARKER
    if not marker.is_file() or marker.read_text() != listed:
        _write(marker, listed.encode())
    return report


def describe(target: Path, files: Mapping[str, Path], report: Report, demo: bool) -> str:
    """What ``install`` did, for the admin."""
    lines = []
    if report.adopted:
        lines.append(
            f"{target} was laid out by hand (no {MARKER}): its {', '.join(shipped.WEB_FOLDERS)} "
            "folders are taken as Huddle's, and their files this version does not ship removed"
        )
    for folder in shipped.WEB_FOLDERS:
        inside = [name for name in files if name.startswith(f"{folder}/")]
        counts = [
            f"{len(here)} {what}"
            for what, names in (
                ("new", report.new), ("updated", report.updated), ("unchanged", report.unchanged)
            )
            if (here := [n for n in names if n.startswith(f"{folder}/")])
        ]  # fmt: skip
        lines.append(f"  {folder + '/':<10} {len(inside):>4} files: {', '.join(counts)}")
    lines.extend(f"  removed {name}" for name in report.removed)
    if demo:
        lines.append(f"  {DEMO_PAGE}: the demo shop page, installed because of --demo")
    summary = (
        f"{len(files)} files: {len(report.new)} new, {len(report.updated)} updated, "
        f"{len(report.removed)} removed, {len(report.unchanged)} unchanged"
    )
    done = "installed" if report.changed else "already up to date,"
    return "\n".join([f"huddle web install: {target}", *lines, f"{done} {summary}"])


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    web = sub.add_parser("web", help="the widget's and staff console's files")
    actions = web.add_subparsers(dest="action", required=True, metavar="ACTION")
    parser = actions.add_parser(
        "install",
        help="put the web files into a folder Prosody serves (again after an upgrade)",
        description="Puts chat/ (the visitor widget), console/ (the staff console), "
        "converse/ and uplot/ into DIR, which Prosody serves at / (huddle prosody-config "
        "--www-dir). Files of an earlier version that this one no longer ships are removed. "
        f"DIR must be empty, new, or hold the {MARKER} of an earlier run.",
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="e.g. /var/www/huddle")
    parser.add_argument(
        "--demo",
        action="store_true",
        help=f"also install {DEMO_PAGE}, the stand-in shop page with the widget (not for "
        "production)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        files = web_files(demo=args.demo)
    except shipped.ShippedFileMissing as missing:
        print(
            f"huddle web install: {missing}. From a checkout, run `npm ci --ignore-scripts` "
            "in prosody-config/web first (scripts/setup.sh does)",
            file=sys.stderr,
        )
        return 1
    try:
        report = install(args.dir, files)
    except Refused as refused:
        print(f"huddle web install: refused: {refused}", file=sys.stderr)
        return 2
    print(describe(args.dir, files, report, args.demo))
    return 0

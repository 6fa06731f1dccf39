"""``huddle web install DIR``: the web files in place, the demo page only with
--demo, an upgrade's stale files removed, a second run a no-op, and any folder that
is not Huddle's refused untouched."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from component.cli import main
from component.web_install import MARKER, Refused, install, web_files


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its content (the marker included)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def tree(folder: Path, files: dict[str, str]) -> dict[str, Path]:
    """A release's web files, made up: name in DIR → source file."""
    sources = {}
    for name, text in files.items():
        source = folder / name
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(text)
        sources[name] = source
    return sources


def test_a_new_folder_gets_the_web_files_and_not_the_demo_page(tmp_path, capsys):
    www = tmp_path / "var" / "www" / "huddle"
    assert main(["web", "install", str(www)]) == 0
    shipped = web_files()
    installed = listing(www)
    assert installed.pop(MARKER)
    assert installed == {name: source.read_bytes() for name, source in shipped.items()}
    assert "chat/huddle-widget.js" in installed
    assert "console/huddle-console.js" in installed
    assert "converse/converse.min.js" in installed
    assert "uplot/uPlot.esm.js" in installed
    assert "chat/index.html" not in installed
    assert sorted(json.loads((www / MARKER).read_text())["files"]) == sorted(shipped)
    # Prosody reads them as its own user.
    assert stat.S_IMODE((www / "chat" / "huddle-widget.js").stat().st_mode) == 0o644
    assert stat.S_IMODE((www / "converse" / "chunkjs").stat().st_mode) == 0o755
    out = capsys.readouterr().out
    assert f"installed {len(shipped)} files: {len(shipped)} new, 0 updated, 0 removed" in out


def test_demo_installs_the_shop_page_and_a_run_without_it_removes_it(tmp_path, capsys):
    www = tmp_path / "www"
    assert main(["web", "install", "--demo", str(www)]) == 0
    assert (www / "chat" / "index.html").read_bytes() == web_files(demo=True)[
        "chat/index.html"
    ].read_bytes()
    capsys.readouterr()
    assert main(["web", "install", str(www)]) == 0
    assert not (www / "chat" / "index.html").exists()
    assert "removed chat/index.html" in capsys.readouterr().out


def test_a_second_run_changes_nothing(tmp_path, capsys):
    www = tmp_path / "www"
    assert main(["web", "install", str(www)]) == 0
    before = {path: path.stat().st_ino for path in www.rglob("*")}
    capsys.readouterr()
    assert main(["web", "install", str(www)]) == 0
    # Same files, none rewritten (a rewrite is a new inode: written beside, renamed).
    assert {path: path.stat().st_ino for path in www.rglob("*")} == before
    out = capsys.readouterr().out
    assert "already up to date" in out
    assert "0 new, 0 updated, 0 removed" in out


def test_an_upgrade_replaces_changed_files_and_removes_stale_ones(tmp_path):
    www = tmp_path / "www"
    old = tree(tmp_path / "0.1", {
        "chat/huddle-widget.js": "widget 1",
        "chat/old-plugin.js": "gone in 2",
        "converse/locales/fr.js": "gone in 2, with its folder",
        "console/index.html": "console",
    })  # fmt: skip
    install(www, old)
    (www / "robots.txt").write_text("the admin's own")
    (www / "chat" / "custom.css").write_text("the admin's own, in our folder")
    new = tree(tmp_path / "0.2", {
        "chat/huddle-widget.js": "widget 2",
        "console/index.html": "console",
        "uplot/uPlot.esm.js": "new in 2",
    })  # fmt: skip
    report = install(www, new)
    assert (report.new, report.updated, report.unchanged) == (
        ["uplot/uPlot.esm.js"], ["chat/huddle-widget.js"], ["console/index.html"]
    )  # fmt: skip
    assert report.removed == ["chat/old-plugin.js", "converse/locales/fr.js"]
    assert listing(www) == {
        MARKER: (www / MARKER).read_bytes(),
        "chat/huddle-widget.js": b"widget 2",
        "chat/custom.css": b"the admin's own, in our folder",
        "console/index.html": b"console",
        "uplot/uPlot.esm.js": b"new in 2",
        "robots.txt": b"the admin's own",
    }
    assert not (www / "converse").exists()


def test_a_folder_laid_out_by_hand_is_taken_over(tmp_path, capsys):
    """As the guide once said: cp -r chat console, and the dist folders; the demo
    page came along."""
    www = tmp_path / "www"
    tree(www, {
        "chat/huddle-widget.js": "an older widget",
        "chat/index.html": "the demo shop",
        "converse/converse.min.js": "an older Converse",
        "converse/converse.min.js.map": "its source map",
    })  # fmt: skip
    assert main(["web", "install", str(www)]) == 0
    installed = listing(www)
    assert installed.pop(MARKER)
    assert installed == {name: source.read_bytes() for name, source in web_files().items()}
    out = capsys.readouterr().out
    assert "laid out by hand" in out
    assert "removed chat/index.html" in out
    assert "removed converse/converse.min.js.map" in out


@pytest.mark.parametrize(
    "contents",
    [
        {"index.html": "someone's website"},
        {"chat/huddle-widget.js": "widget", "wp-config.php": "a blog"},
        {"chat/notes.txt": "not the widget"},
    ],
    ids=["a website", "a website with a chat folder", "a chat folder without the widget"],
)
def test_a_folder_that_is_not_huddles_is_refused_untouched(tmp_path, capsys, contents):
    www = tmp_path / "www"
    tree(www, contents)
    before = listing(www)
    assert main(["web", "install", str(www)]) == 2
    assert listing(www) == before
    err = capsys.readouterr().err
    assert f"refused: {www} is not empty" in err
    assert MARKER in err


def test_a_file_given_as_the_folder_is_refused(tmp_path, capsys):
    target = tmp_path / "huddle"
    target.write_text("a file")
    assert main(["web", "install", str(target)]) == 2
    assert target.read_text() == "a file"
    assert f"refused: {target} is not a folder" in capsys.readouterr().err


def test_a_list_naming_files_outside_the_web_folders_is_refused(tmp_path):
    www = tmp_path / "www"
    install(www, tree(tmp_path / "release", {"chat/huddle-widget.js": "widget"}))
    victim = tmp_path / "precious"
    victim.write_text("keep me")
    listed = json.loads((www / MARKER).read_text())
    listed["files"].append("chat/../../precious")
    (www / MARKER).write_text(json.dumps(listed))
    with pytest.raises(Refused, match="outside"):
        install(www, {})
    assert victim.read_text() == "keep me"
    assert (www / "chat" / "huddle-widget.js").exists()


def test_a_symbolic_link_in_place_of_a_folder_is_refused(tmp_path):
    """`huddle dev`'s folder links into the checkout: writing through the link would
    overwrite the checkout's files, and removing stale ones delete them."""
    checkout = tmp_path / "checkout" / "chat"
    tree(checkout, {"huddle-widget.js": "being edited"})
    www = tmp_path / "www"
    install(www, tree(tmp_path / "release", {"chat/huddle-widget.js": "released"}))
    (www / "chat" / "huddle-widget.js").unlink()
    (www / "chat").rmdir()
    os.symlink(checkout, www / "chat")
    with pytest.raises(Refused, match="symbolic link"):
        install(www, tree(tmp_path / "release2", {"chat/huddle-widget.js": "released 2"}))
    assert (checkout / "huddle-widget.js").read_text() == "being edited"

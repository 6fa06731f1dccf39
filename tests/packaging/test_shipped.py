"""From a checkout, Huddle reads its templates, system files and web pages where
they are edited (component/shipped.py); ``huddle --version``, ``example-config``
and ``system-file`` print what this version ships."""

from __future__ import annotations

import tomllib

import pytest

from component import shipped
from component.cli import main
from tests.lifecycle.processes import REPO

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_a_checkout_reads_the_files_where_they_are_edited():
    assert shipped.package_data() is None
    assert shipped.path("prosody/production.cfg.lua.in") == (
        REPO / "prosody-config" / "production.cfg.lua.in"
    )
    assert shipped.path("web/chat") == REPO / "prosody-config" / "web" / "chat"
    assert shipped.path("web/converse/converse.min.js") == (
        REPO / "prosody-config/web/node_modules/converse.js/dist/converse.min.js"
    )
    assert shipped.path("system/huddle.service") == REPO / "prosody-config" / "huddle.service"


def test_every_shipped_file_is_in_the_checkout():
    """What the wheel build copies; the web dist files once `npm ci` has run."""
    files = dict(shipped.checkout_files(REPO))
    assert files["huddle.example.toml"] == "huddle.example.toml"
    assert files["prosody-config/web/chat/huddle-widget.js"] == "web/chat/huddle-widget.js"
    assert "web/converse/converse.min.js" in files.values()
    assert "web/uplot/uPlot.esm.js" in files.values()
    assert {f"system/{name}" for name in shipped.SYSTEM_FILES} <= set(files.values())


def test_the_web_folders_leave_out_source_maps_and_unminified_builds():
    converse = {name for name, _ in shipped.tree("web/converse")}
    assert {"converse.min.js", "converse.min.css", "emoji.json"} <= converse
    assert any(name.startswith("chunkjs/locales/") for name in converse)
    assert not [name for name in converse if name.endswith(".map")]
    assert "converse.js" not in converse
    uplot = {name for name, _ in shipped.tree("web/uplot")}
    assert {"uPlot.esm.js", "uPlot.min.css"} <= uplot
    assert not [name for name in uplot if name.endswith((".map", ".d.ts"))]


def test_a_name_outside_the_table_is_refused():
    with pytest.raises(KeyError):
        shipped.path("prosody/other.cfg.lua.in")


def test_version_is_the_package_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"huddle {VERSION}\n"


def test_example_config_prints_huddle_example_toml(capsys):
    assert main(["example-config"]) == 0
    assert capsys.readouterr().out == (REPO / "huddle.example.toml").read_text()


@pytest.mark.parametrize("name", shipped.SYSTEM_FILES)
def test_system_file_prints_the_file(capsys, name):
    assert main(["system-file", name]) == 0
    assert capsys.readouterr().out == (REPO / "prosody-config" / name).read_text()


def test_system_file_refuses_other_names(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["system-file", "production.cfg.lua.in"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_the_admin_guide_installs_this_version():
    """README, "Building a release": the version is also in ADMIN.md's install."""
    guide = (REPO / "prosody-config" / "ADMIN.md").read_text()
    packages = guide.split("\n## 2. Packages\n")[1].split("\n## ")[0]
    assert f"/opt/huddle/bin/pip install ./huddle-{VERSION}-py3-none-any.whl" in packages
    assert f"/opt/huddle/bin/huddle --version          # huddle {VERSION}" in packages


def test_the_changelog_starts_with_this_version():
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert changelog.split("\n## ")[1].startswith(f"{VERSION} — ")

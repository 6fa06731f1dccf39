"""The release an admin installs: the wheel, built as README's "Building a release"
says, installed into a fresh virtual environment outside the checkout as ADMIN.md
says, and run from there: ``huddle --version``, ``prosody-config``, ``web install``,
then a real Prosody with the config it printed and the installed ``huddle run``,
a visitor and an agent chatting through them over TLS.

The venv is clean (no system site-packages, nothing of the checkout's ``.venv``),
and pip installs the wheel with its dependencies from the configured index, as on
the admin's server: a dependency missing from pyproject.toml fails here. The wheel
itself is built without build isolation, from the build backend the test extra
installs, so building needs no download.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import re
import secrets
import shlex
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from component import shipped
from component.dev.ports import LOOPBACK
from tests.integration.client import groupchat_from, presence_from
from tests.lifecycle.processes import REPO, STARTUP_TIMEOUT, HuddleProcess, huddle
from tests.prosody_config.deployment import (
    DOMAIN,
    SECRET_ENV,
    SERVICE,
    VISITORS,
    Deployment,
    prepare,
    tls_login,
)

pytestmark = pytest.mark.integration

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
DATA = f"{shipped.PACKAGE}/{shipped.PACKAGE_DATA}"
BUILD_TIMEOUT = 180
JENNIE = f"jennie@{DOMAIN}"
JENNIE_PASSWORD = secrets.token_urlsafe(12)


def run(*argv: str | Path, cwd: Path = REPO) -> str:
    result = subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build(outdir: Path, *options: str) -> list[Path]:
    """``python -m build`` on the checkout, as a maintainer runs it; what it made,
    by name (the wheel before the sdist)."""
    run(sys.executable, "-m", "build", "--no-isolation", *options, "--outdir", outdir, REPO)
    return sorted(outdir.iterdir())


def members(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}


@dataclass(frozen=True, slots=True)
class Release:
    wheel: Path
    venv: Path
    # Where the installed commands run: outside the checkout.
    work: Path

    @property
    def huddle(self) -> Path:
        return self.venv / "bin" / "huddle"

    async def run(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        """The installed ``huddle`` with ``args``, to the end."""
        return await huddle(*args, env=env, command=(str(self.huddle),), cwd=self.work)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    root = tmp_path_factory.mktemp("release")
    [wheel] = build(root / "dist", "--wheel")
    venv = root / "venv"
    run(sys.executable, "-m", "venv", venv)
    work = root / "work"
    work.mkdir()
    run(venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check",
        "--quiet", wheel, cwd=work)  # fmt: skip
    return Release(wheel, venv, work)


def test_the_wheel_carries_the_templates_and_the_built_web_files(release):
    assert release.wheel.name == f"huddle-{VERSION}-py3-none-any.whl"
    inside = members(release.wheel)
    for name in (
        "component/cli.py", "roles/room.py", "storage/writer.py",
        f"{DATA}/prosody/production.cfg.lua.in", f"{DATA}/prosody/visitor-fence.pfw.in",
        f"{DATA}/huddle.example.toml", f"{DATA}/system/huddle.service",
        f"{DATA}/system/huddle-admin", f"{DATA}/web/chat/huddle-widget.js",
        f"{DATA}/web/chat/index.html", f"{DATA}/web/console/huddle-console.js",
        f"{DATA}/web/converse/converse.min.js", f"{DATA}/web/uplot/uPlot.esm.js",
        f"{DATA}/licenses/converse.js/LICENSE",
    ):  # fmt: skip
        assert name in inside, name
    # Each file as it is in the checkout; nothing from node_modules but the dist files.
    for source, target in shipped.checkout_files(REPO):
        digest = hashlib.sha256((REPO / source).read_bytes()).hexdigest()
        assert inside.get(f"{DATA}/{target}") == digest, source
    assert not [name for name in inside if name.endswith(".map") or "node_modules" in name]
    assert not [name for name in inside if name.startswith(("tests/", "prosody-config/"))]


def test_the_sdist_builds_the_same_wheel(release, tmp_path):
    """Without options, build makes the sdist, then the wheel from the sdist."""
    [wheel, sdist] = build(tmp_path / "dist")
    assert sdist.name == f"huddle-{VERSION}.tar.gz"
    assert members(wheel) == members(release.wheel)
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    top = f"huddle-{VERSION}"
    assert f"{top}/prosody-config/web/node_modules/converse.js/dist/converse.min.js" in names
    assert f"{top}/scripts/hatch_build.py" in names
    assert not [name for name in names if name.endswith(".map")]


async def test_version_is_the_release(release):
    assert await release.run("--version") == (0, f"huddle {VERSION}\n", "")


async def test_the_installed_huddle_runs_from_its_own_venv(release):
    """Not from the checkout: its code and files are the wheel's."""
    process = await asyncio.create_subprocess_exec(
        str(release.venv / "bin" / "python"), "-c",
        "import component, component.shipped as s; print(component.__file__, s.package_data())",
        cwd=release.work, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    code_file, data = out.decode().split()
    site = release.venv / "lib"
    assert Path(code_file).is_relative_to(site), code_file
    assert Path(data).is_relative_to(site), data
    assert (await release.run("example-config"))[1] == (REPO / "huddle.example.toml").read_text()
    assert (await release.run("system-file", "huddle.service"))[1] == (
        REPO / "prosody-config" / "huddle.service"
    ).read_text()


def generating_command(config: str) -> list[str]:
    """The ``huddle prosody-config …`` command a config's header says made it."""
    found = re.search(r"^--\s+(huddle prosody-config .*)$", config, re.MULTILINE)
    assert found, config[:800]
    return shlex.split(found.group(1))


@pytest.fixture(scope="module")
async def deployment(
    release: Release, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    """ADMIN.md's deployment, every file made by the installed huddle; on loopback."""
    deployment = await prepare(tmp_path_factory.mktemp("installed"))
    config = deployment.state_dir / "production.cfg.lua"
    fence = deployment.state_dir / "visitor-fence.pfw"
    from_checkout = config.read_text(), fence.read_text()
    # As ADMIN.md's upgrade does: the command from the config's first lines.
    words = generating_command(from_checkout[0])
    code, _, err = await release.run(*words[1:], "--output", str(config))
    assert code == 0, err
    assert (config.read_text(), fence.read_text()) == from_checkout
    code, out, err = await release.run("web", "install", str(deployment.prosody.www_dir))
    assert code == 0, err
    assert f"huddle web install: {deployment.prosody.www_dir}" in out
    with pytest.MonkeyPatch.context() as env:
        # Prosody inherits it, as from systemd's EnvironmentFile.
        env.setenv(SECRET_ENV, deployment.secret)
        await deployment.prosody.start()
        service: HuddleProcess | None = None
        try:
            await deployment.prosody.register("jennie", DOMAIN, JENNIE_PASSWORD)
            code, _, err = await release.run(
                "staff", "--config", str(deployment.huddle_toml),
                "add", JENNIE, "--name", "Jennie", env=deployment.env,
            )  # fmt: skip
            assert code == 0, err
            service = await HuddleProcess.start(
                "run", "--config", str(deployment.huddle_toml), env=deployment.env,
                command=(str(release.huddle),), cwd=release.work,
            )  # fmt: skip
            await service.wait_for_line(f"serving {SERVICE}", "stderr", STARTUP_TIMEOUT)
            yield deployment
        finally:
            if service is not None:
                await service.stop()
            await deployment.prosody.stop()


async def test_a_visitor_and_an_agent_chat_through_the_installed_huddle(deployment):
    room = f"chat-{secrets.token_hex(12)}@{SERVICE}"
    visitor = await tls_login(deployment, VISITORS)
    jennie = await tls_login(deployment, JENNIE, JENNIE_PASSWORD)
    try:
        await visitor.join(room, "Vera")
        await visitor.expect(
            lambda s: "Welcome" in "".join(s.itertext()), what="the welcome message"
        )
        visitor.send(f"<message to='{room}' type='groupchat'><body>My order?</body></message>")
        await jennie.join(room, "Jennie")
        await visitor.expect(presence_from(f"{room}/Jennie"), what="Jennie arriving")
        await jennie.expect(groupchat_from(f"{room}/Vera (visitor)", "My order?"))
        jennie.send(f"<message to='{room}' type='groupchat'><body>On its way</body></message>")
        await visitor.expect(groupchat_from(f"{room}/Jennie", "On its way"))
    finally:
        await visitor.close()
        await jennie.close()


def fetch(port: int, path: str) -> tuple[int, bytes]:
    # Host 127.0.0.1 names no host: Prosody serves it as http_default_host.
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "path", ["chat/huddle-widget.js", "console/index.html", "converse/converse.min.js"]
)
async def test_prosody_serves_the_installed_web_files(deployment, release, path):
    status, body = await asyncio.to_thread(fetch, deployment.ports.http, f"/{path}")
    with zipfile.ZipFile(release.wheel) as archive:
        assert (status, body) == (200, archive.read(f"{DATA}/web/{path}"))


async def test_the_demo_shop_page_is_not_served(deployment):
    status, _ = await asyncio.to_thread(fetch, deployment.ports.http, "/chat/index.html")
    assert status == 404

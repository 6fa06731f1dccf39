"""The machine ADMIN.md's commands run on, in a test: a root folder standing in for
``/``, and stand-ins for what a test machine lacks or must not touch.

``relocate`` moves the guide's system paths under the root and its ``huddle`` user
to ``nobody``/``nogroup`` (the test makes no system user): applied to each command
before it runs, and to the files the guide installs before they are used. The
stand-ins are commands, put first on the guide's PATH by ``install_shims``:

- ``systemctl`` runs units as systemd would, without systemd: ``User``, ``Group``,
  ``EnvironmentFile`` (drop-ins included), ``WorkingDirectory``,
  ``RuntimeDirectory``, ``StateDirectory``, ``ExecStart``, ``Type=oneshot``; a
  service's output goes to its journal file, which ``journalctl -u`` prints.
  Debian's own ``prosody.service`` is read from ``/lib/systemd/system``.
- ``prosodyctl`` is Prosody's, given this machine's config: the guide's, Include'd
  by ``walkthrough.cfg.lua`` beside it, which moves only ports and paths. For
  ``adduser``/``passwd`` it types the password the test chose, as an admin would.
- ``certbot`` issues from the test's certificate authority, for the names asked,
  into ``/etc/letsencrypt/live/<cert-name>/`` as certbot does.
- ``apt-get`` and ``adduser`` do nothing: the packages are installed (checked),
  and the ``huddle`` user is ``nobody``.

Run as ``python -m tests.prosody_config.fake_system TOOL ARGS…`` with
``WALK_ROOT`` set; ``stop_all`` ends every service a walk started.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.prosody_config.local_ca import LocalCA

# The guide's paths that the walk keeps under its root; everything else (Prosody,
# Python, /usr/bin) is the machine's own.
PATHS = (
    "/etc/prosody",
    "/etc/huddle",
    "/etc/letsencrypt",
    "/etc/systemd/system",
    "/opt/huddle",
    "/usr/local/sbin",
    "/var/lib/huddle",
    "/var/lib/prosody",
    "/var/www/huddle",
    "/var/www/html",
    "/var/backups/huddle",
    "/var/log/prosody",
    "/run/prosody",
)
# A path starts at a boundary: "<root>/etc/huddle" is not "/etc/huddle" again.
_PATH = re.compile(
    r"(?<![\w.~/])(" + "|".join(re.escape(p) for p in PATHS) + r")(?![\w.-])",
    re.MULTILINE,
)
# The guide's huddle user and group; the test uses these instead.
USER, GROUP = "nobody", "nogroup"
_ACCOUNTS = (
    (re.compile(r"(?<=runuser -u )huddle\b"), USER),
    (re.compile(r"(?<=-o )huddle\b"), USER),
    (re.compile(r"(?<=-g )huddle\b"), GROUP),
    (re.compile(r"(?<=root:)huddle\b"), GROUP),
    (re.compile(r"\bhuddle:huddle\b"), f"{USER}:{GROUP}"),
    (re.compile(r"(?m)(?<=^User=)huddle$"), USER),
    (re.compile(r"(?m)(?<=^Group=)huddle$"), GROUP),
)
SYSTEM_UNITS = Path("/lib/systemd/system")
PROSODYCTL = "/usr/bin/prosodyctl"
STARTED = "Started"
# Set for what a stand-in runs: a stand-in that finds itself again stops there.
GUARD = "HUDDLE_WALK_STAND_IN"
PROSODY_WRAPPER = "walkthrough.cfg.lua"
STOP_TIMEOUT = 30.0
POLL = 0.05


def relocate(text: str, root: Path) -> str:
    text = _PATH.sub(lambda m: f"{root}{m.group(1)}", text)
    for pattern, name in _ACCOUNTS:
        text = pattern.sub(name, text)
    return text


def relocate_file(path: Path, root: Path) -> None:
    text = path.read_text()
    moved = relocate(text, root)
    if moved != text:
        path.write_text(moved)


def root_dir() -> Path:
    return Path(os.environ["WALK_ROOT"])


def wrapper(root: Path) -> Path:
    return root / "etc" / "prosody" / PROSODY_WRAPPER


def install_shims(root: Path) -> Path:
    """The stand-in commands, in ``<root>/shims``; returns that folder."""
    shims = root / "shims"
    shims.mkdir(exist_ok=True)
    repo = Path(__file__).resolve().parents[2]
    for tool in ("systemctl", "journalctl", "certbot", "apt-get", "adduser", "prosodyctl"):
        script = shims / tool
        script.write_text(
            "#!/bin/sh\n"
            f"PYTHONPATH={shlex.quote(str(repo))} WALK_ROOT={shlex.quote(str(root))} "
            f'exec {shlex.quote(sys.executable)} -m tests.prosody_config.fake_system {tool} "$@"\n'
        )
        script.chmod(0o755)
    return shims


# ---------- systemctl ----------


def _unit_name(name: str) -> str:
    return name if "." in name else f"{name}.service"


def _read_unit(root: Path, name: str) -> dict[str, list[str]]:
    """The unit's [Service] settings (and the others, merged), drop-ins last."""
    local = root / "etc" / "systemd" / "system" / name
    path = local if local.exists() else SYSTEM_UNITS / name
    if not path.exists():
        raise SystemExit(f"Unit {name} not found.")
    texts = [path.read_text()]
    dropins = root / "etc" / "systemd" / "system" / f"{name}.d"
    if dropins.is_dir():
        texts += [conf.read_text() for conf in sorted(dropins.glob("*.conf"))]
    settings: dict[str, list[str]] = {}
    for text in texts:
        for raw in relocate(text, root).splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";", "[")) or "=" not in line:
                continue
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def _environment(settings: dict[str, list[str]], root: Path) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        # Scripts that read paths relative to / (huddle-backup) read them here.
        "BACKUP_ROOT": str(root),
    }
    for entry in settings.get("EnvironmentFile", []):
        optional = entry.startswith("-")
        path = Path(entry.lstrip("-"))
        if not path.exists():
            if optional:
                continue
            raise SystemExit(f"Failed to load environment files: {path}")
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key.strip()] = value.strip().strip("'\"")
    return env


def _state(root: Path, unit: str, what: str) -> Path:
    folder = root / "run" / "systemd"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{unit}.{what}"


def journal(root: Path, unit: str) -> Path:
    folder = root / "var" / "log" / "journal"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{unit}.log"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    # Nobody reaps an orphan in a container without an init: a zombie is gone.
    return state != "Z"


def _main_pid(root: Path, unit: str) -> int | None:
    path = _state(root, unit, "pid")
    if not path.exists():
        return None
    pid = int(path.read_text())
    return pid if _alive(pid) else None


def _directory(path: Path, user: str, group: str, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid)
    path.chmod(mode)


def _argv(unit: str, settings: dict[str, list[str]], root: Path) -> list[str]:
    argv = shlex.split(settings["ExecStart"][-1].lstrip("-@+!"))
    if unit == "prosody.service":
        # This machine's ports and paths: the guide's config, Include'd.
        argv += ["--config", str(wrapper(root))]
    program = Path(argv[0])
    if program.is_relative_to(root) and program.is_file():
        # A script the guide installed from the release: its paths too.
        relocate_file(program, root)
    return argv


def start(root: Path, unit: str) -> int:
    if _main_pid(root, unit) is not None:
        return 0
    settings = _read_unit(root, unit)
    user = settings.get("User", ["root"])[-1]
    group = settings.get("Group", [pwd.getpwnam(user).pw_name])[-1]
    for name in settings.get("RuntimeDirectory", []):
        _directory(root / "run" / name, user, group, 0o755)
    for name in settings.get("StateDirectory", []):
        mode = int(settings.get("StateDirectoryMode", ["0755"])[-1], 8)
        _directory(root / "var" / "lib" / name, user, group, mode)
    cwd = settings.get("WorkingDirectory", [str(root)])[-1].lstrip("-")
    env = _environment(settings, root)
    argv = _argv(unit, settings, root)
    oneshot = settings.get("Type", ["simple"])[-1] == "oneshot"
    with journal(root, unit).open("ab") as log:
        # As journald records it: what follows is this run's.
        log.write(f"{STARTED} {unit}.\n".encode())
        log.flush()
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            user=user,
            group=group,
            extra_groups=[] if user != "root" else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    if oneshot:
        code = process.wait()
        if code != 0:
            print(f"Job for {unit} failed (status {code}): see journalctl -u {unit}")
            print(journal(root, unit).read_text(errors="replace")[-2000:])
            return 1
        return 0
    _state(root, unit, "pid").write_text(str(process.pid))
    return 0


def stop(root: Path, unit: str) -> int:
    pid = _main_pid(root, unit)
    if pid is None:
        return 0
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            break
        time.sleep(POLL)
    _state(root, unit, "pid").unlink(missing_ok=True)
    return 0


def stop_all(root: Path) -> None:
    """Stop every service a walk started (teardown)."""
    folder = root / "run" / "systemd"
    if folder.is_dir():
        for pidfile in folder.glob("*.pid"):
            stop(root, pidfile.name.removesuffix(".pid"))


def systemctl(args: list[str]) -> int:
    root = root_dir()
    words = [a for a in args if not a.startswith("-")]
    now = "--now" in args
    if not words:
        return 0
    verb, units = words[0], [_unit_name(u) for u in words[1:]]
    if verb == "daemon-reload":
        return 0
    code = 0
    for unit in units:
        if unit.endswith(".timer"):
            # Timers are the scheduler's business; the walk starts their service itself.
            continue
        if verb == "start" or (verb == "enable" and now):
            code |= start(root, unit)
        elif verb == "stop":
            code |= stop(root, unit)
        elif verb == "restart":
            stop(root, unit)
            code |= start(root, unit)
        elif verb == "reload":
            pid = _main_pid(root, unit)
            if pid is not None:
                os.kill(pid, signal.SIGHUP)
        elif verb == "is-active":
            active = _main_pid(root, unit) is not None
            print("active" if active else "inactive")
            code |= 0 if active else 3
        elif verb != "enable":
            raise SystemExit(f"systemctl {verb}: not something the walk does")
    return code


def journalctl(args: list[str]) -> int:
    root = root_dir()
    units = [_unit_name(args[i + 1]) for i, a in enumerate(args) if a == "-u"]
    for unit in units:
        path = journal(root, unit)
        if path.exists():
            sys.stdout.write(path.read_text(errors="replace"))
    return 0


# ---------- certbot, prosodyctl, apt-get, adduser ----------


def certbot(args: list[str]) -> int:
    root = root_dir()
    if not args or args[0] != "certonly":
        raise SystemExit(f"certbot {' '.join(args)}: not something the walk does")
    names = [args[i + 1] for i, a in enumerate(args) if a == "-d"]
    cert_name = args[args.index("--cert-name") + 1] if "--cert-name" in args else names[0]
    ca = LocalCA(root / "ca" / "ca.crt", root / "ca" / "ca.key")
    # Valid for the names asked, and for no other (--cert-name only names the folder).
    issued = ca.issue(root / "ca" / "issued", names[0], names[1:])
    live = root / "etc" / "letsencrypt" / "live" / cert_name
    live.mkdir(parents=True, exist_ok=True)
    leaf, chain = issued.cert.read_bytes(), ca.cert.read_bytes()
    (live / "cert.pem").write_bytes(leaf)
    (live / "chain.pem").write_bytes(chain)
    (live / "fullchain.pem").write_bytes(leaf + chain)
    (live / "privkey.pem").write_bytes(issued.key.read_bytes())
    (live / "privkey.pem").chmod(0o600)
    print(f"Successfully received certificate for {', '.join(names)}.")
    print(f"Certificate is saved at: {live / 'fullchain.pem'}")
    return 0


def prosodyctl(args: list[str]) -> int:
    root = root_dir()
    argv = [PROSODYCTL, "--config", str(wrapper(root)), *args]
    typed = None
    if args and args[0] in ("adduser", "passwd"):
        passwords = json.loads((root / "shims" / "passwords.json").read_text())
        password = passwords[args[1]]
        typed = f"{password}\n{password}\n"
    env = {**os.environ, GUARD: "prosodyctl"}
    return subprocess.run(argv, input=typed, text=True, env=env, check=False).returncode


def apt_get(args: list[str]) -> int:
    packages = [a for a in args if not a.startswith("-") and a not in ("update", "install")]
    missing = []
    for package in packages:
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if "install ok installed" not in status.stdout:
            missing.append(package)
    print(f"apt-get {' '.join(args)}: the walk installs nothing; not here: {missing or 'none'}")
    return 0


def adduser(args: list[str]) -> int:
    print(f"adduser {' '.join(args)}: the walk's huddle user is {USER}:{GROUP}")
    return 0


TOOLS = {
    "systemctl": systemctl,
    "journalctl": journalctl,
    "certbot": certbot,
    "prosodyctl": prosodyctl,
    "apt-get": apt_get,
    "adduser": adduser,
}

if __name__ == "__main__":
    if GUARD in os.environ:
        sys.exit(f"{sys.argv[1]}: called from {os.environ[GUARD]}'s stand-in")
    sys.exit(TOOLS[sys.argv[1]](sys.argv[2:]))

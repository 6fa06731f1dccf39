"""``huddle-backup``, the daily backup of ADMIN.md §11, run as the timer runs it:
silent on success, files for root alone, old backups removed, a damaged copy
reported."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "prosody-config" / "huddle-backup"


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, str]:
    root = tmp_path / "root"
    for folder in ("var/lib/prosody", "etc/prosody", "etc/huddle"):
        (root / folder).mkdir(parents=True)
    (root / "etc/huddle/secret.env").write_text("HUDDLE_SECRET=s3cret\n")
    db = tmp_path / "huddle.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE chats (id TEXT)")
        conn.execute("INSERT INTO chats VALUES ('chat-1')")
    return {
        **os.environ,
        "HUDDLE_DB": str(db),
        "BACKUP_DIR": str(tmp_path / "backups"),
        "BACKUP_ROOT": str(root),
        "KEEP_DAYS": "14",
    }


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_a_backup_is_silent_private_complete_and_old_ones_go(setup):
    backups = Path(setup["BACKUP_DIR"])
    backups.mkdir(mode=0o700)
    old = backups / "huddle-2020-01-01.sqlite"
    old.write_text("old")
    os.utime(old, (time.time() - 30 * 86400,) * 2)
    recent = backups / "config-2026-01-01.tar.gz"
    recent.write_text("recent")

    done = run(setup)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    today = time.strftime("%Y-%m-%d")
    copy, config = backups / f"huddle-{today}.sqlite", backups / f"config-{today}.tar.gz"
    for made in (copy, config):
        assert stat.S_IMODE(made.stat().st_mode) == 0o600, made
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT id FROM chats").fetchall() == [("chat-1",)]
    with tarfile.open(config) as tar:
        assert "etc/huddle/secret.env" in tar.getnames()
    assert not old.exists() and recent.exists()
    # Run twice the same day: the day's copy is replaced, still silent.
    again = run(setup)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


def test_a_database_that_cannot_be_read_fails_loudly(setup, tmp_path):
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"not a database" * 100)
    failed = run({**setup, "HUDDLE_DB": str(broken)})
    assert failed.returncode != 0
    assert failed.stderr.strip()

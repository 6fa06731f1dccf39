"""Canned replies against a real SQLite file, and ``huddle canned`` on it."""

from __future__ import annotations

import asyncio
import io
import re

import pytest

from component.cli import main
from storage.canned import MAX_TEXT_CHARS, CannedError, CannedReplies, CannedReply
from storage.database import open_database

HELLO = CannedReply("", "hello", "Hello {visitor}, this is {agent}.")
REFUND = CannedReply("accounts", "refund", "Refunds take five working days.")


@pytest.fixture
async def replies(tmp_path):
    async with await open_database(tmp_path / "huddle.sqlite") as db:
        yield CannedReplies(db)


async def test_add_get_list_update_remove(replies):
    await replies.add(HELLO)
    await replies.add(REFUND)
    await replies.add(CannedReply("accounts", "hello", "Accounts here, {visitor}."))
    assert await replies.get("", "hello") == HELLO
    assert await replies.get("support", "hello") is None
    everything = await replies.list()
    assert [(r.team, r.name) for r in everything] == [
        ("", "hello"),
        ("accounts", "hello"),
        ("accounts", "refund"),
    ]
    # A team's view: its own and every team's, never another team's.
    assert [(r.team, r.name) for r in await replies.list("support")] == [("", "hello")]
    assert len(await replies.list("accounts")) == 3
    changed = await replies.update(CannedReply("accounts", "refund", "  Five days.\n"))
    assert changed.text == "Five days."
    assert (await replies.get("accounts", "refund")) == changed
    assert await replies.remove("accounts", "refund")
    assert not await replies.remove("accounts", "refund")
    assert await replies.get("accounts", "refund") is None


async def test_names_are_lowercased_and_unique_per_team(replies):
    added = await replies.add(CannedReply("support", " Greet ", "Hi"))
    assert added.name == "greet"
    assert await replies.get("support", "GREET") == added
    with pytest.raises(CannedError, match=r"name: 'greet' for team support already exists"):
        await replies.add(CannedReply("support", "greet", "Hi again"))
    await replies.add(CannedReply("", "greet", "Hi, all teams"))  # another team: fine
    with pytest.raises(CannedError, match=r"name: there is no 'nope' for every team"):
        await replies.update(CannedReply("", "nope", "x"))


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (CannedReply("Support", "hi", "x"), "team: expected 1-32 characters"),
        (CannedReply("support", "", "x"), "name: expected 1-32 characters"),
        (CannedReply("support", "two words", "x"), "name: expected"),
        (CannedReply("support", "-dash", "x"), "name: expected"),
        (CannedReply("support", "x" * 33, "x"), "name: expected"),
        (CannedReply("support", "hi", "  \n "), "text: must not be empty"),
        (CannedReply("support", "hi", "x" * (MAX_TEXT_CHARS + 1)), "text: at most 4000"),
    ],
)
async def test_invalid_replies_are_refused_naming_the_field(replies, reply, message):
    with pytest.raises(CannedError, match=re.escape(message)):
        await replies.add(reply)
    assert await replies.list() == []


# -- huddle canned ---------------------------------------------------------------------


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "huddle.toml"
    path.write_text(
        '[component]\njid = "support.example.org"\n'
        '[domains]\nstaff = ["example.org"]\nvisitors = ["guest.example.org"]\n'
        '[storage]\npath = "huddle.sqlite"\n'
    )
    return path


async def huddle(capsys, monkeypatch, *args: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))

    def status() -> int:
        try:
            return main(["canned", *args])
        except SystemExit as exc:  # argparse's errors
            return int(exc.code or 0)

    # main runs its own event loop, so it runs on a thread of its own.
    code = await asyncio.to_thread(status)
    out, err = capsys.readouterr()
    return code, out, err


async def test_the_cli_adds_lists_replaces_and_removes(config, capsys, monkeypatch):
    c = ("--config", str(config))
    code, out, err = await huddle(capsys, monkeypatch, "add", "hello", "Hello {visitor}!", *c)
    assert (code, out) == (0, "added 'hello' for every team\n"), err
    code, out, err = await huddle(
        capsys, monkeypatch, "add", "refund", "--team", "accounts", *c, stdin="Five days.\nSorry!"
    )
    assert (code, out) == (0, "added 'refund' for team accounts\n"), err
    code, out, err = await huddle(capsys, monkeypatch, "add", "hello", "Hi again", *c)
    assert code == 2 and "'hello' for every team already exists" in err
    code, out, _ = await huddle(capsys, monkeypatch, "add", "hello", "Hi {agent}", "--replace", *c)
    assert (code, out) == (0, "replaced 'hello' for every team\n")

    code, out, _ = await huddle(capsys, monkeypatch, "list", *c)
    assert code == 0
    assert [" ".join(line.split()) for line in out.splitlines()] == [
        "every team hello Hi {agent}",
        "team accounts refund Five days. / Sorry!",
    ]
    code, out, _ = await huddle(capsys, monkeypatch, "list", "--team", "support", *c)
    assert "refund" not in out and "hello" in out

    code, out, err = await huddle(capsys, monkeypatch, "remove", "refund", *c)
    assert code == 1 and "no canned reply 'refund' for every team" in err
    code, out, _ = await huddle(capsys, monkeypatch, "remove", "refund", "--team", "accounts", *c)
    assert (code, out) == (0, "removed 'refund' for team accounts\n")
    code, out, err = await huddle(capsys, monkeypatch, "add", "bad name", "x", *c)
    assert code == 2 and "name: expected" in err

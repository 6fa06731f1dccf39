"""Canned replies (pure): filling in the names, which replies a team may use,
and what ``!r`` alone lists."""

from __future__ import annotations

from roles.canned import fill, for_team, listing


def test_fill_puts_in_the_visitors_name_and_the_senders():
    text = "Hello {visitor}, this is {agent}. {visitor}, how can I help?"
    assert fill(text, visitor="Mia", agent="Jennie") == (
        "Hello Mia, this is Jennie. Mia, how can I help?"
    )


def test_fill_is_one_pass_and_no_format_string():
    # A visitor who calls herself "{agent}" is named as she typed it, and any
    # other braces are plain text: nothing in a name or reply can reach Python.
    assert fill("Hi {visitor}!", visitor="{agent}", agent="Jennie") == "Hi {agent}!"
    assert fill("{0} {visitor.__class__} {{agent}} {Agent}", "Mia", "Jennie") == (
        "{0} {visitor.__class__} {Jennie} {Agent}"
    )
    assert fill("No names here.", "Mia", "Jennie") == "No names here."


def test_a_team_uses_its_own_replies_and_those_for_every_team():
    rows = [
        ("", "hello", "Hello from all of us"),
        ("", "bye", "Goodbye"),
        ("support", "hello", "Hello from support"),
        ("accounts", "refund", "Refunds take 5 days"),
    ]
    assert for_team(rows, "support") == {"bye": "Goodbye", "hello": "Hello from support"}
    assert for_team(rows, "accounts") == {
        "bye": "Goodbye",
        "hello": "Hello from all of us",
        "refund": "Refunds take 5 days",
    }
    assert for_team(rows, "sales") == {"bye": "Goodbye", "hello": "Hello from all of us"}
    assert list(for_team(rows, "accounts")) == ["bye", "hello", "refund"]


def test_listing_names_each_reply_with_the_start_of_its_text():
    text = listing({"bye": "Goodbye,\nsee you", "long": "x" * 100}, "support")
    lines = text.splitlines()
    assert lines[0] == "Canned replies for team support (!r <name> says one):"
    assert lines[1] == "bye: Goodbye, see you"
    assert lines[2] == "long: " + "x" * 60
    assert "no canned replies" in listing({}, "sales").lower()

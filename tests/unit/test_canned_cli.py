"""``huddle canned`` takes its options anywhere among its arguments, as ADMIN.md
and the README write them: ``canned add greet --team support "Hello"``."""

from __future__ import annotations

import pytest

from component.cli import build_parser


@pytest.mark.parametrize(
    ("argv", "parsed"),
    [
        (["add", "greet", "--team", "support", "Hello"], ("greet", "Hello", "support", False)),
        (["add", "--team", "support", "greet", "Hello"], ("greet", "Hello", "support", False)),
        (["add", "greet", "--team", "x", "--replace", "Hi"], ("greet", "Hi", "x", True)),
        (["add", "hours", "We are open"], ("hours", "We are open", "", False)),
        # No text: it is read from standard input.
        (["add", "refund", "--team", "accounts"], ("refund", None, "accounts", False)),
    ],
)
def test_options_may_come_between_the_name_and_the_text(argv, parsed):
    args = build_parser().parse_args(["canned", *argv])
    assert (args.name, args.text, args.team, args.replace) == parsed


def test_an_argument_too_many_is_still_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["canned", "add", "greet", "Hello", "again"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: again" in capsys.readouterr().err

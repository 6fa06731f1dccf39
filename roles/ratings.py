"""A visitor's rating of her closed chat: a score of 1 to 5 and an optional
comment of at most 1,000 characters (``docs/visitor-protocol.md``)."""

from __future__ import annotations

import re

from roles.refusal import Refused

MAX_COMMENT_CHARS = 1000
_SCORE = re.compile(r"[1-5]")


def rating_of(score: str, comment: str) -> tuple[int, str]:
    """The score and comment as the widget sent them, checked; the comment is
    kept as written (trimmed), and flattened only where staff read it."""
    if not _SCORE.fullmatch(score):
        raise Refused("bad-request", "The score is a whole number from 1 to 5.", "modify")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise Refused(
            "bad-request", f"Comments are limited to {MAX_COMMENT_CHARS} characters.", "modify"
        )
    return int(score), comment

"""What a visitor's widget may ask besides chatting (pure parts): a rating's
score and comment, the address a transcript may go to, and the email itself."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from component.config import Smtp
from component.visitor_requests.mail import transcript_mail
from roles.mail import mail_address
from roles.ratings import rating_of
from roles.refusal import Refused


@pytest.mark.parametrize(("score", "expected"), [("1", 1), ("5", 5), ("3", 3)])
def test_scores_1_to_5(score, expected):
    assert rating_of(score, "") == (expected, "")


@pytest.mark.parametrize("score", ["0", "6", "", "4.0", " 4", "+4", "four", "٤", "45"])
def test_any_other_score_is_a_bad_request(score):
    with pytest.raises(Refused) as refused:
        rating_of(score, "")
    assert (refused.value.condition, refused.value.etype) == ("bad-request", "modify")


def test_comments_are_kept_as_written_up_to_1000_characters():
    assert rating_of("4", "  Quick\nand kind  ") == (4, "Quick\nand kind")
    assert rating_of("4", "x" * 1000)[1] == "x" * 1000
    with pytest.raises(Refused, match="1000 characters"):
        rating_of("4", "x" * 1001)


@pytest.mark.parametrize(
    "address", ["mia@example.org", "mia.rose+chat@mail.example.co.uk", "x" * 64 + "@example.org"]
)
def test_plain_addresses_are_usable(address):
    assert mail_address(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "",
        "mia",
        "mia@localhost",  # no dot: not a domain mail goes to
        "mia@example.org, eve@example.org",  # a second recipient
        "mia@example.org\nBcc: eve@example.org",  # a header
        "Mia <mia@example.org>",
        '"mia"@example.org',
        "mia..rose@example.org",
        "mia@-example.org",
        "x" * 65 + "@example.org",
        "mïa@example.org",
    ],
)
def test_anything_else_counts_as_no_address(address):
    assert mail_address(address) is None


def test_the_email_is_the_transcript_from_the_configured_sender():
    smtp = Smtp("smtp.example.org", "support@example.org")
    transcript = {
        "chat": "chat-0123456789abcdef",
        "team": "support",
        "status": "closed",
        "created": "2026-11-29T10:00:00+00:00",
        "closed": "2026-11-29T10:12:00+00:00",
        "visitor": "Mia",
        "messages": [
            {
                "time": "2026-11-29T10:00:05+00:00",
                "nick": "Mia (visitor)",
                "whisper": False,
                "correction_of": None,
                "body": "Où est mon colis ?",
            }
        ],
    }
    message = transcript_mail(smtp, "mia@example.org", transcript)
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert (parsed["From"], parsed["To"]) == ("support@example.org", "mia@example.org")
    assert parsed["Subject"] == "Your chat with us on 2026-11-29"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"].endswith("@example.org>")
    body = parsed.get_content()
    assert "[2026-11-29T10:00:05+00:00] Mia (visitor): Où est mon colis ?" in body
    assert body.startswith("Here is the transcript of your chat with us")

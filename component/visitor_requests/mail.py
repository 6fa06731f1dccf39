"""The transcript as an email, and handing it to the mail server (aiosmtplib)."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib

from component.config import Smtp
from component.muc.transcript import transcript_text

INTRO = (
    "Here is the transcript of your chat with us, as you saw it (times in UTC).\n"
    "This email was sent because you asked for it in the chat window.\n\n"
)


class MailFailed(Exception):
    """The mail server refused the email or could not be reached in time."""


def transcript_mail(smtp: Smtp, to: str, transcript: dict[str, Any]) -> EmailMessage:
    """``transcript`` is the visitor's view (``transcript_json(..., "visitor")``)."""
    message = EmailMessage()
    message["From"] = smtp.from_address
    message["To"] = to
    day = (transcript["created"] or "")[:10]
    message["Subject"] = f"Your chat with us on {day}" if day else "Your chat with us"
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=smtp.from_address.rpartition("@")[2])
    # RFC 3834: no vacation replies to a message a program sent.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(INTRO + transcript_text(transcript) + "\n")
    return message


async def send_mail(smtp: Smtp, message: EmailMessage) -> None:
    """Hand ``message`` to the mail server; ``MailFailed`` if it did not take it
    within ``smtp.timeout`` seconds in all."""
    try:
        async with asyncio.timeout(smtp.timeout):
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                start_tls=smtp.starttls,
                username=smtp.username or None,
                password=smtp.password or None,
                timeout=smtp.timeout,
            )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise MailFailed(f"{smtp.host}:{smtp.port}: {exc}") from exc

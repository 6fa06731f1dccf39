"""``urn:huddle:transcript:0``: email the visitor her chat as she saw it.

Only with ``[smtp]`` configured, only to the address she gave in the pre-chat
form, at most ``MAILS_PER_CHAT`` times a chat. The text is the archive's visitor
view (``component.muc.transcript``): no whisper, nothing said while hidden, no
one's address. The mails sent are counted in memory: a restart forgets them.
"""

from __future__ import annotations

import logging
from collections import Counter

from slixmpp import Iq

from component.addressing import Target
from component.desk.desk import Desk
from component.muc.service import MucService
from component.muc.transcript import said_in, transcript_json
from component.visitor_requests.chats import payload, requested_chat
from component.visitor_requests.mail import MailFailed, send_mail, transcript_mail
from roles.mail import MAILS_PER_CHAT, mail_address
from roles.refusal import Refused

log = logging.getLogger(__name__)
NS_TRANSCRIPT = "urn:huddle:transcript:0"


class TranscriptRequests:
    def __init__(self, muc: MucService, desk: Desk) -> None:
        self.muc = muc
        self.desk = desk
        # Per chat, mails sent or being sent: a second request while the first is
        # with the mail server counts against the limit too.
        self.mails: Counter[str] = Counter()

    async def send(self, iq: Iq, target: Target) -> Iq:
        request = payload(iq, f"{{{NS_TRANSCRIPT}}}transcript")
        row = await requested_chat(self.muc, self.desk.store, iq, request)
        smtp = self.muc.config.smtp
        if smtp is None:
            raise Refused("feature-not-implemented", "Transcripts are not sent by email here.")
        address = mail_address(row.visitor_email)
        if address is None:
            raise Refused("not-acceptable", "No email address was given for this chat.", "modify")
        if self.mails[row.id] >= MAILS_PER_CHAT:
            raise Refused(
                "policy-violation",
                f"The transcript has been sent {MAILS_PER_CHAT} times already.",
                "wait",
            )
        self.mails[row.id] += 1
        try:
            transcript = transcript_json(row, await said_in(self.muc.db, row.id), "visitor")
            await send_mail(smtp, transcript_mail(smtp, address, transcript))
        except MailFailed as failed:
            self.mails[row.id] -= 1
            log.warning("emailing the transcript of %s failed: %s", row.id, failed)
            raise Refused(
                "remote-server-timeout",
                "The email could not be sent just now; please try again later.",
                "wait",
            ) from None
        except BaseException:
            self.mails[row.id] -= 1
            raise
        log.info("emailed the transcript of %s (mail %d)", row.id, self.mails[row.id])
        return iq.reply(clear=True)

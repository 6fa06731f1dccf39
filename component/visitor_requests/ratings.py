"""``urn:huddle:rating:0``: the visitor rates her chat once it has closed.

Stored once per chat, announced on the desk (her comment flattened and quoted,
like all her words staff read) and told to subscribers as ``ChatRated``, so the
floor feed updates; ``huddle report`` counts it.
"""

from __future__ import annotations

import logging
import time

from slixmpp import Iq

from component.addressing import Target
from component.desk.desk import Desk, short, visitor_label
from component.muc.chat_rows import chat_from_row
from component.muc.events import ChatRated
from component.muc.service import MucService
from component.visitor_requests.chats import payload, requested_chat
from roles.ratings import MAX_COMMENT_CHARS, rating_of
from roles.refusal import Refused
from roles.visitor_text import quoted
from storage.ratings import Rating, Ratings

log = logging.getLogger(__name__)
NS_RATING = "urn:huddle:rating:0"
ALREADY = "This chat has been rated already; thank you."


class RatingRequests:
    def __init__(self, muc: MucService, desk: Desk) -> None:
        self.muc = muc
        self.desk = desk

    async def rate(self, iq: Iq, target: Target) -> Iq:
        request = payload(iq, f"{{{NS_RATING}}}rating")
        row = await requested_chat(self.muc, self.desk.store, iq, request)
        if row.status != "closed":
            # wait, not modify: the same request will do once the chat has ended.
            raise Refused("unexpected-request", "A chat is rated once it has ended.", "wait")
        ratings = Ratings(self.muc.db)
        if await ratings.get(row.id) is not None:
            raise Refused("conflict", ALREADY)
        score, comment = rating_of(request.get("score", ""), request.text or "")
        if not await ratings.add(Rating(row.id, time.time(), score, comment)):
            raise Refused("conflict", ALREADY)  # another request got there first
        chat = chat_from_row(row)
        said = f": {quoted(comment, MAX_COMMENT_CHARS)}" if comment else ""
        rated = f"{visitor_label(chat)} rated the chat {score}/5{said}"
        self.desk.announce(f"[{short(chat.id)}] {rated}")
        log.info("chat %s rated %d/5", chat.id, score)
        self.muc.events.emit(ChatRated(chat, score, comment))
        return iq.reply(clear=True)

"""What a visitor's widget asks of the service besides chatting
(``docs/visitor-protocol.md``): rating her closed chat (``urn:huddle:rating:0``)
and having its transcript emailed to her (``urn:huddle:transcript:0``).

Both are IQ sets to the service's own address. The chat id (128 random bits,
known to her tab and to staff) is what entitles her; the request must come
from a visitor domain. Errors are raised as ``Refused``, checked in the order
of the spec's tables.
"""

from __future__ import annotations

from collections.abc import Callable

from component.desk.desk import Desk
from component.iq_router import IqRouter
from component.muc.service import MucService
from component.visitor_requests.ratings import NS_RATING, RatingRequests
from component.visitor_requests.transcripts import NS_TRANSCRIPT, TranscriptRequests


def register(router: IqRouter, muc: MucService, desk: Desk) -> Callable[[], tuple[str, ...]]:
    """Serve both requests; returns the disco features of the service they add,
    as they are now: the transcript only while ``[smtp]`` is configured."""
    router.register("set", NS_RATING, ("service",), RatingRequests(muc, desk).rate)
    router.register("set", NS_TRANSCRIPT, ("service",), TranscriptRequests(muc, desk).send)

    def features() -> tuple[str, ...]:
        return (NS_RATING, NS_TRANSCRIPT) if muc.config.smtp is not None else (NS_RATING,)

    return features

"""What staff clients need from the dev Prosody besides Huddle: their own message
archive (Dino queries it for every room advertising MAM), as in production; none
for visitors."""

from __future__ import annotations

MAM_QUERY = "<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>1</max></set></query>"


async def test_staff_have_their_own_archive(connect):
    jennie = await connect("jennie")
    reply = await jennie.iq(jennie.bare, MAM_QUERY, "set")
    assert reply.get("type") == "result"


async def test_visitors_have_no_archive(connect):
    visitor = await connect()
    reply = await visitor.iq(visitor.bare, MAM_QUERY, "set")
    assert reply.get("type") == "error"

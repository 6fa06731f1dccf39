"""Room bookmarks on the server (XEP-0402), published by a test client for an account,
and the account's nickname (XEP-0172).

Desktop clients join the rooms their account has bookmarked with autojoin, at
login and when a bookmark arrives later: a bookmark is the way a test tells a
client such as Gajim to join a room, with no clicking. Prosody's mod_bookmarks
serves the same bookmarks as XEP-0402 items and as XEP-0048 private storage;
Gajim 1.7 reads XEP-0402 when the server announces ``urn:xmpp:bookmarks:1#compat-pep``
(gajim/common/modules/bookmarks.py), which Prosody 0.12 does.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from tests.integration.client import Client, error_condition

NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner"
NS_BOOKMARKS = "urn:xmpp:bookmarks:1"
NS_NICK = "http://jabber.org/protocol/nick"

# XEP-0402 §5: the node is private, keeps every item, and is never pushed
# unasked to someone who just came online.
_PUBLISH_OPTIONS = (
    "<publish-options><x xmlns='jabber:x:data' type='submit'>"
    "<field var='FORM_TYPE' type='hidden'>"
    "<value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
    "<field var='pubsub#persist_items'><value>true</value></field>"
    "<field var='pubsub#max_items'><value>max</value></field>"
    "<field var='pubsub#send_last_published_item'><value>never</value></field>"
    "<field var='pubsub#access_model'><value>whitelist</value></field>"
    "</x></publish-options>"
)


def conference(room: str, nick: str, name: str = "", autojoin: bool = True) -> str:
    """The ``<item>`` of one XEP-0402 bookmark."""
    attrs = f" autojoin={quoteattr(str(autojoin).lower())}"
    if name:
        attrs += f" name={quoteattr(name)}"
    return (
        f"<item id={quoteattr(room)}><conference xmlns='{NS_BOOKMARKS}'{attrs}>"
        f"<nick>{escape(nick)}</nick></conference></item>"
    )


async def publish_bookmark(
    client: Client, room: str, nick: str, name: str = "", autojoin: bool = True
) -> None:
    """Bookmark ``room`` for ``client``'s account; its other sessions are told at once."""
    payload = (
        f"<pubsub xmlns='{NS_PUBSUB}'><publish node='{NS_BOOKMARKS}'>"
        f"{conference(room, nick, name, autojoin)}</publish>{_PUBLISH_OPTIONS}</pubsub>"
    )
    reply = await client.iq(client.bare, payload, "set")
    if reply.get("type") != "result":
        raise AssertionError(f"publishing the bookmark of {room}: {error_condition(reply)}")


async def clear_bookmarks(client: Client) -> None:
    """Delete the account's bookmarks node, so a client starts with only what a
    test bookmarks; no node at all is fine."""
    payload = f"<pubsub xmlns='{NS_PUBSUB_OWNER}'><delete node='{NS_BOOKMARKS}'/></pubsub>"
    reply = await client.iq(client.bare, payload, "set")
    if reply.get("type") != "result" and error_condition(reply) != "cancel/item-not-found":
        raise AssertionError(f"deleting the bookmarks node: {error_condition(reply)}")


async def publish_nickname(client: Client, nick: str) -> None:
    """The account's own nickname (XEP-0172), what Gajim's Profile → Nickname
    publishes: Gajim offers it as the nick for rooms it has no bookmark of, such as
    the room of an invitation (gajim/common/helpers.py ``get_group_chat_nick``), and
    reads it at login (gajim/common/modules/user_nickname.py)."""
    payload = (
        f"<pubsub xmlns='{NS_PUBSUB}'><publish node='{NS_NICK}'><item id='current'>"
        f"<nick xmlns='{NS_NICK}'>{escape(nick)}</nick></item></publish></pubsub>"
    )
    reply = await client.iq(client.bare, payload, "set")
    if reply.get("type") != "result":
        raise AssertionError(f"publishing the nickname {nick!r}: {error_condition(reply)}")

"""The Huddle component process: database, XMPP link to Prosody, and the services.

The link is kept up: when it drops or Prosody restarts, the component reconnects
with exponential back-off (capped by ``component.reconnect_max_delay``). Our
Prosody templates set ``component_conflict_resolve = "kick_old"``, so a
restarted component replaces a stale link instead of being refused.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slixmpp import ComponentXMPP
from slixmpp.xmlstream.handler import CoroutineCallback
from slixmpp.xmlstream.matcher import MatchXPath

from component import visitor_requests
from component.adhoc import registry as adhoc
from component.config import Config
from component.desk.desk import Desk
from component.desk.reception import DeskReception
from component.errors import reply_errors
from component.floor.feed import Floor
from component.iq_router import IqRouter
from component.muc import disco, mam, ping
from component.muc.liveness import prune_gone_sessions
from component.muc.messages import MessageHandler
from component.muc.occupant_id import OccupantIds
from component.muc.presence import PresenceHandler
from component.muc.recorder import Recorder
from component.muc.restore import restore_rooms
from component.muc.service import MucService
from storage.archive import Archive
from storage.chats import ChatStore
from storage.database import Database, open_database
from storage.staff import StaffDirectory
from storage.writer import BatchWriter

log = logging.getLogger(__name__)
FIRST_RETRY = 0.5
NS = "jabber:component:accept"
KNOWN_UNSERVED = frozenset(
    {
        "http://jabber.org/protocol/muc#admin",
        "http://jabber.org/protocol/muc#owner",
        "vcard-temp",
        "http://jabber.org/protocol/pubsub#owner",
    }
)


class HuddleXMPP(ComponentXMPP):
    """The XEP-0114 link, with our own handlers in place of slixmpp's defaults."""

    def __init__(self, config: Config) -> None:
        super().__init__(config.service, config.secret, config.server_host, config.server_port)
        # slixmpp tracks a roster per presence sender and answers pings and
        # receipts for any address: all wrong for a MUC service, so they go.
        for name in ("Presence", "IM", "IMError"):
            self.remove_handler(name)
        # Its roster also keeps the last presence sent to every address, forever:
        # one entry per room and recipient, flood chats included.
        self.del_filter("out", self.roster._save_last_status)
        self.config = config
        self.stopping = False
        self.connected_once = asyncio.Event()
        # Set when the server refuses us outright (wrong secret, unknown domain):
        # retrying cannot help, so starting fails at once.
        self.refused = asyncio.Event()
        self.retry_delay = FIRST_RETRY
        self.last_stream_error = ""
        self.handling: set[asyncio.Task[Any]] = set()
        self.add_event_handler("session_start", self._on_session_start)
        self.add_event_handler("disconnected", self._on_disconnected)
        self.add_event_handler("connection_failed", self._on_connection_failed)
        self.add_event_handler("stream_error", self._on_stream_error)

    def route(self, name: str, xpath: str, handler: Any) -> None:
        guarded = reply_errors(handler)

        async def tracked(stanza: Any) -> None:
            # Known while running, so that stopping lets it finish before the
            # database closes under it.
            task = asyncio.current_task()
            if task is not None:
                self.handling.add(task)
            try:
                await guarded(stanza)
            finally:
                self.handling.discard(task)  # type: ignore[arg-type]

        self.register_handler(CoroutineCallback(name, MatchXPath(xpath), tracked))

    def _on_session_start(self, _: Any) -> None:
        log.info(
            "connected to %s:%s as %s",
            self.config.server_host,
            self.config.server_port,
            self.config.service,
        )
        self.retry_delay = FIRST_RETRY
        self.connected_once.set()

    def _on_stream_error(self, error: Any) -> None:
        self.last_stream_error = str(error["condition"])
        fatal = ("not-authorized", "host-unknown", "improper-addressing")
        if self.last_stream_error in fatal and not self.connected_once.is_set():
            self.refused.set()
        log.error("stream error from the server: %s %s", error["condition"], error["text"])

    def _on_connection_failed(self, reason: Any) -> None:
        # slixmpp's own retry loop backs off up to five minutes; we want our cap.
        self.cancel_connection_attempt()
        log.warning(
            "cannot reach %s:%s (%s)", self.config.server_host, self.config.server_port, reason
        )
        self._schedule_reconnect()

    def _on_disconnected(self, reason: Any) -> None:
        if self.stopping:
            log.info("disconnected")
            return
        log.warning("link to the server dropped (%s)", reason or "closed")
        self._schedule_reconnect()

    def _schedule_reconnect(self) -> None:
        if self.stopping:
            return
        delay = self.retry_delay
        self.retry_delay = min(self.config.reconnect_max_delay, delay * 2)
        log.info("reconnecting in %.1f s", delay)
        self.loop.call_later(delay, self._reconnect_now)

    def _reconnect_now(self) -> None:
        if not self.stopping and not self.is_connected():
            self.connect()


class Huddle:
    """Owns the database and the XMPP component; ``start`` returns once connected."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.xmpp = HuddleXMPP(config)
        self.db: Database | None = None
        self.muc: MucService | None = None
        self.desk: Desk | None = None
        self.floor: Floor | None = None
        self.writer: BatchWriter | None = None
        # Set once the sessions of every room were checked after the last connection.
        self.live = asyncio.Event()
        self._sweeper: asyncio.Future[None] | None = None

    async def start(self, timeout: float = 30.0) -> None:
        self.db = await open_database(self.config.database)
        self.writer = BatchWriter(self.db)
        self.writer.start()
        ids = OccupantIds(await self.db.secret_key("occupant-id"))
        muc = MucService(self.xmpp, self.config, StaffDirectory(self.db), ids)
        muc.recorder = Recorder(self.writer, muc.door)
        desk = Desk(muc, ChatStore(self.db))
        muc.reception = DeskReception(desk)
        self.muc, self.desk = muc, desk
        restored = await restore_rooms(muc, self.db)
        await desk.restore_members()
        if restored:
            log.info("restored %d open chats from %s", restored, self.config.database)
        self._sweeper = asyncio.ensure_future(self._sweep_idle_chats())
        router = IqRouter(self.config.service, KNOWN_UNSERVED, muc.rooms.locked)
        ping.register(router, muc)
        served = visitor_requests.register(router, muc, desk)
        disco.register(router, muc, adhoc.register(router, muc, desk), served)
        mam.register(router, muc, Archive(self.db))
        self.floor = Floor(muc, desk)
        self.floor.register(router)
        self.floor.start()
        xmpp = self.xmpp
        xmpp.route("Huddle presence", f"{{{NS}}}presence", PresenceHandler(muc).on_presence)
        xmpp.route("Huddle message", f"{{{NS}}}message", MessageHandler(muc).on_message)
        xmpp.route("Huddle iq", f"{{{NS}}}iq", router.dispatch)
        log.info("connecting to %s:%s", self.config.server_host, self.config.server_port)
        xmpp.connect()
        connected = asyncio.ensure_future(xmpp.connected_once.wait())
        refused = asyncio.ensure_future(xmpp.refused.wait())
        await asyncio.wait(
            {connected, refused}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        connected.cancel()
        refused.cancel()
        if xmpp.connected_once.is_set():
            self._after_connect()
            xmpp.add_event_handler("session_start", lambda _: self._after_connect())
            xmpp.add_event_handler("disconnected", lambda _: self.live.clear())
            return
        await self.stop()
        if xmpp.refused.is_set():
            raise ConnectionError(
                f"the server at {self.config.server_host}:{self.config.server_port} refused "
                f"{self.config.service}: {xmpp.last_stream_error} (check component.secret and "
                "the Component section of the Prosody configuration)"
            )
        why = f" (server said: {xmpp.last_stream_error})" if xmpp.last_stream_error else ""
        raise ConnectionError(
            f"could not connect to {self.config.server_host}:{self.config.server_port} "
            f"as {self.config.service} within {timeout:.0f} s{why}"
        )

    def _after_connect(self) -> None:
        """On every (re)connection: sessions that died meanwhile leave their rooms,
        then waiting chats are offered again."""
        assert self.muc is not None and self.desk is not None
        muc, desk = self.muc, self.desk
        self.live.clear()

        async def check() -> None:
            gone = await prune_gone_sessions(muc)
            if gone:
                log.info("%d sessions were gone after (re)connecting", gone)
            await desk.resume()
            self.live.set()

        desk.spawn(check())

    async def _sweep_idle_chats(self) -> None:
        assert self.desk is not None
        period = min(60.0, self.config.idle_timeout / 2)
        while True:
            await asyncio.sleep(period)
            try:
                await self.desk.sweep_idle()
            except Exception:
                log.exception("closing idle chats failed")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self.floor is not None:
            self.floor.stop()
        if self.muc is not None:
            self.muc.coach.stop()
        if self.desk is not None:
            self.desk.stop()
        self.xmpp.stopping = True
        self.xmpp.cancel_connection_attempt()
        if self.xmpp.is_connected():
            await self.xmpp.disconnect(wait=2.0)
        if self.xmpp.handling:
            await asyncio.wait(set(self.xmpp.handling), timeout=5.0)
        if self.writer is not None:
            await self.writer.stop()
            self.writer = None
        if self.db is not None:
            await self.db.close()
            self.db = None
        log.info("stopped")

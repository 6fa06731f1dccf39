"""The service's ad-hoc commands and their discovery (XEP-0050 §2).

The table names the ``roles.authorization`` action each command needs. The
listing (disco#items, node ``http://jabber.org/protocol/commands``) and each
command's disco#info show a requester only what they may run, so visitors and
strangers see an empty list; executing is checked again on every stage.
"""

from __future__ import annotations

from slixmpp import JID
from slixmpp.plugins.xep_0030.stanza import DiscoInfo, DiscoItems

from component.adhoc import audit, canned, chats, staff
from component.adhoc.execute import Executor, allowed
from component.adhoc.flow import AdhocCommand
from component.adhoc.forms import NS_COMMANDS, NS_DATA
from component.desk.desk import Desk
from component.iq_router import IqRouter
from component.muc.service import MucService

COMMANDS: tuple[AdhocCommand, ...] = (
    AdhocCommand("list-chats", "List waiting and active chats", "list-chats", chats.list_chats),
    AdhocCommand("supervise", "Supervise a chat, hidden", "supervise", chats.supervise),
    AdhocCommand("take", "Take over a chat", "take", chats.take),
    AdhocCommand("close", "Close a chat", "close", chats.close),
    AdhocCommand("list-staff", "List staff", "manage-staff", staff.list_staff),
    AdhocCommand("add-staff", "Add a staff member", "manage-staff", staff.add_staff),
    AdhocCommand("edit-staff", "Edit a staff member", "manage-staff", staff.edit_staff),
    AdhocCommand("remove-staff", "Remove a staff member", "manage-staff", staff.remove_staff),
    AdhocCommand("read-audit", "Read the supervision audit log", "read-audit", audit.read_audit),
    AdhocCommand("list-canned", "List canned replies", "manage-canned", canned.list_canned),
    AdhocCommand("add-canned", "Add a canned reply", "manage-canned", canned.add_canned),
    AdhocCommand("edit-canned", "Edit a canned reply", "manage-canned", canned.edit_canned),
    AdhocCommand("remove-canned", "Remove a canned reply", "manage-canned", canned.remove_canned),
)


class CommandNodes:
    """The disco side of the commands (``component.muc.disco.ServiceNodes``)."""

    features: tuple[str, ...] = (NS_COMMANDS,)

    def __init__(self, muc: MucService, commands: tuple[AdhocCommand, ...]) -> None:
        self.muc = muc
        self.commands = commands

    async def runnable(self, requester: JID) -> list[AdhocCommand]:
        person = await self.muc.person(requester)
        return [c for c in self.commands if allowed(person, c)]

    async def node_items(self, node: str, requester: JID, items: DiscoItems, at: str = "") -> bool:
        """``at``: the address the list was asked of (the service, or a room)."""
        if node != NS_COMMANDS:
            return False
        for command in await self.runnable(requester):
            items.add_item(JID(at or self.muc.config.service), node=command.node, name=command.name)
        return True

    async def node_info(self, node: str, requester: JID, info: DiscoInfo) -> bool:
        if node == NS_COMMANDS:
            info.add_identity("automation", "command-list", "Commands")
            return True
        command = next((c for c in await self.runnable(requester) if c.node == node), None)
        if command is None:
            return False
        info.add_identity("automation", "command-node", command.name)
        info.add_feature(NS_COMMANDS)
        info.add_feature(NS_DATA)
        return True


def register(router: IqRouter, muc: MucService, desk: Desk) -> CommandNodes:
    """Serve the commands at the service JID and at every room's, since clients
    offer "Execute command" in a room's menu and ask the room (Gajim); the
    result goes to ``disco.register``."""
    executor = Executor(muc, desk, {c.node: c for c in COMMANDS})
    router.register("set", NS_COMMANDS, ("service", "room"), executor.handle, ordered=False)
    return CommandNodes(muc, COMMANDS)

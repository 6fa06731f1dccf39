"""The desktop services Dino talks to, for tests: run with the system Python (it
needs PyGObject and the AT-SPI typelib, which the test virtualenv does not have)
on Dino's session bus.

- A notification server (``org.freedesktop.Notifications``): Dino 0.4.2 shows a
  group chat invitation only as a desktop notification with an "Accept" action
  (main/src/ui/notifier_freedesktop.vala, ``notify_muc_invite``), and there is
  no notification daemon under Xvfb. Every notification is reported on stdout;
  the test invokes an action as a click on the notification would.
- A reader of Dino's accessibility tree (AT-SPI): what Dino shows, as text,
  and its buttons, pressed by their accessible action rather than by screen
  coordinates.

Line protocol, one JSON object per line. Out: ``{"event": "ready"}`` once the
bus name is owned, ``{"event": "notify", "id", "summary", "body", "actions"}``,
and ``{"reply": n, "result": …}`` or ``{"reply": n, "error": …}``. In:
``{"n": n, "op": "invoke", "id": notification id, "action": key}``,
``{"n": n, "op": "nodes", "extents": bool}`` (Dino's widgets in document
order: path, role, name, description, states, action names and, if asked for,
the bounds [x, y, width, height] in its window; layout boxes left out),
``{"n": n, "op": "act", "path": [...], "action": name}`` and
``{"n": n, "op": "activate", "action": name, "parameter": GVariant text}``
(one of Dino's application actions, as a desktop shell activates it).
"""

from __future__ import annotations

import json
import sys

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, Gio, GLib  # noqa: E402

APP_NAME = "dino-im"
# Dino's GApplication id and the object path it exports its actions at.
APP_ID = "im.dino.Dino"
APP_PATH = "/im/dino/Dino"
INTERFACE = """
<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/>
      <arg type="u" direction="out"/>
    </method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
  </interface>
</node>
"""
PATH = "/org/freedesktop/Notifications"
NAME = "org.freedesktop.Notifications"


def emit(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def action_names(node: Atspi.Accessible) -> list[str]:
    if "Action" not in node.get_interfaces():
        return []
    return [Atspi.Action.get_action_name(node, i) for i in range(Atspi.Action.get_n_actions(node))]


class Session:
    def __init__(self, connection: Gio.DBusConnection) -> None:
        self.connection = connection
        self.last_id = 0
        info = Gio.DBusNodeInfo.new_for_xml(INTERFACE).interfaces[0]
        connection.register_object(PATH, info, self.on_call, None, None)

    # -- notifications -----------------------------------------------------------

    def on_call(self, _conn, _sender, _path, _iface, method, params, invocation) -> None:
        if method == "Notify":
            app, _replaces, _icon, summary, body, actions, _hints, _timeout = params.unpack()
            self.last_id += 1
            emit(
                {
                    "event": "notify",
                    "id": self.last_id,
                    "app": app,
                    "summary": summary,
                    "body": body,
                    # The specification sends (key, label) pairs flattened.
                    "actions": [actions[i : i + 2] for i in range(0, len(actions) - 1, 2)],
                }
            )
            invocation.return_value(GLib.Variant("(u)", (self.last_id,)))
        elif method == "GetCapabilities":
            # No "body-markup": Dino then sends the body as plain text.
            invocation.return_value(GLib.Variant("(as)", (["actions", "body"],)))
        elif method == "CloseNotification":
            invocation.return_value(None)
        elif method == "GetServerInformation":
            info = ("huddle-tests", "huddle", "1", "1.2")
            invocation.return_value(GLib.Variant("(ssss)", info))
        else:
            invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)

    def invoke(self, notification: int, action: str) -> None:
        self.connection.emit_signal(
            None, PATH, NAME, "ActionInvoked", GLib.Variant("(us)", (notification, action))
        )

    def activate(self, action: str, parameter: str | None) -> None:
        parameters = [GLib.Variant.parse(None, parameter, None, None)] if parameter else []
        self.connection.call_sync(
            APP_ID,
            APP_PATH,
            "org.gtk.Actions",
            "Activate",
            GLib.Variant("(sava{sv})", (action, parameters, {})),
            None,
            Gio.DBusCallFlags.NONE,
            5000,
            None,
        )

    # -- accessibility -----------------------------------------------------------

    @staticmethod
    def application() -> Atspi.Accessible | None:
        desktop = Atspi.get_desktop(0)
        for index in range(desktop.get_child_count()):
            child = desktop.get_child_at_index(index)
            if child is not None and child.get_name() == APP_NAME:
                return child
        return None

    def nodes(self, extents: bool = False) -> list[dict]:
        app = self.application()
        found: list[dict] = []
        if app is None:
            return found

        def walk(node: Atspi.Accessible, path: list[int]) -> None:
            states = node.get_state_set()
            actions = action_names(node)
            name, description = node.get_name() or "", node.get_description() or ""
            # Layout boxes (no name, no description, nothing to do) say nothing.
            if name or description or actions:
                bounds = None
                if extents and "Component" in node.get_interfaces():
                    rect = Atspi.Component.get_extents(node, Atspi.CoordType.WINDOW)
                    bounds = [rect.x, rect.y, rect.width, rect.height]
                found.append(
                    {
                        "path": path,
                        "role": node.get_role_name(),
                        "name": name,
                        "description": description,
                        "states": [state.value_nick for state in states.get_states()],
                        "actions": actions,
                        "bounds": bounds,
                    }
                )
            for index in range(node.get_child_count()):
                child = node.get_child_at_index(index)
                if child is not None:
                    walk(child, [*path, index])

        walk(app, [])
        return found

    def act(self, path: list[int], name: str) -> bool:
        node = self.application()
        for index in path:
            if node is None:
                break
            node = node.get_child_at_index(index)
        if node is None:
            raise LookupError(f"no accessible at {path}")
        names = action_names(node)
        if name not in names:
            raise LookupError(f"the accessible at {path} has no action {name!r}: {names}")
        return bool(Atspi.Action.do_action(node, names.index(name)))

    # -- commands from the test ----------------------------------------------------

    def on_line(self, line: str) -> None:
        command = json.loads(line)
        n = command.get("n")
        try:
            op = command["op"]
            if op == "invoke":
                self.invoke(command["id"], command["action"])
                result = True
            elif op == "nodes":
                result = self.nodes(bool(command.get("extents")))
            elif op == "act":
                result = self.act(command["path"], command["action"])
            elif op == "activate":
                self.activate(command["action"], command.get("parameter"))
                result = True
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as exc:  # every failure goes back to the test, which decides
            emit({"reply": n, "error": f"{type(exc).__name__}: {exc}"})
        else:
            emit({"reply": n, "result": result})


def main() -> None:
    loop = GLib.MainLoop()
    connection = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    session = Session(connection)

    def on_stdin(channel: GLib.IOChannel, condition: GLib.IOCondition) -> bool:
        line = channel.readline()
        if not line:
            # The test went away: so does the session's notification server.
            loop.quit()
            return False
        if line.strip():
            session.on_line(line)
        return True

    channel = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(channel, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    Gio.bus_own_name_on_connection(
        connection,
        NAME,
        Gio.BusNameOwnerFlags.DO_NOT_QUEUE,
        lambda *_: emit({"event": "ready"}),
        lambda *_: (emit({"event": "lost", "name": NAME}), loop.quit()),
    )
    loop.run()


if __name__ == "__main__":
    main()

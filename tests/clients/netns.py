"""A private network for a client that cannot be told where its server is.

Dino connects to its account's domain on port 5222 and trusts only the system's
certificate authorities. Rather than give the whole machine a server on 5222
and a new trusted certificate, the test gives Dino a world of its own: a network
namespace with only loopback, where 5222 is free, and a mount namespace in which
the system's CA bundle is that bundle plus the dev certificate. Nothing outside
changes, so parallel runs and a developer's own ``huddle dev`` are unaffected.

The namespaces are held by a small process (this file run as a script under
``unshare``). It brings loopback up, mounts the bundle, opens the listening
sockets and hands them back over a socket pair; the test's event loop then
forwards every connection to the real server on the host's loopback. Programs
join the namespaces with :meth:`PrivateNetwork.command` (``nsenter``).
Needs root (CAP_SYS_ADMIN), as ``unshare`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
# <linux/sockios.h> and <net/if.h>: read and set an interface's flags.
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


class NetworkError(AssertionError):
    """The namespaces could not be made, or a forward failed."""


def ca_bundle_with(certificate: Path, into: Path, system: Path = SYSTEM_CA_BUNDLE) -> Path:
    """The system's bundle with ``certificate`` appended, written to ``into``."""
    parts = [system.read_bytes()] if system.exists() else []
    parts.append(certificate.read_bytes())
    into.write_bytes(b"\n".join(part.rstrip(b"\n") for part in parts) + b"\n")
    return into


class PrivateNetwork:
    """Network and mount namespaces held open by a helper process.

    ``start(ports, ca_bundle)`` makes them; ``forward(port, host, target)``
    relays connections to ``port`` inside to ``host:target`` outside;
    ``command(...)`` is the argv prefix that runs a program inside; ``stop()``
    ends the relays and the holder, which first kills every process left in
    the namespace (so does a holder whose test died).
    """

    def __init__(self) -> None:
        self._holder: subprocess.Popen[bytes] | None = None
        self._listeners: dict[int, list[socket.socket]] = {}
        self._servers: list[asyncio.Server] = []
        self._relays: set[asyncio.Task[None]] = set()

    @property
    def started(self) -> bool:
        return self._holder is not None

    @property
    def pid(self) -> int:
        if self._holder is None:
            raise NetworkError("the private network is not started")
        return self._holder.pid

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside both namespaces."""
        return [
            "nsenter",
            f"--net=/proc/{self.pid}/ns/net",
            f"--mount=/proc/{self.pid}/ns/mnt",
            "--",
            *argv,
        ]

    async def start(self, ports: tuple[int, ...], ca_bundle: Path | None = None) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        argv = [
            "unshare",
            "--net",
            "--mount",
            "--propagation",
            "private",
            "--",
            sys.executable,
            str(Path(__file__).resolve()),
            str(theirs.fileno()),
            str(ca_bundle or ""),
            *map(str, ports),
        ]
        try:
            self._holder = subprocess.Popen(
                argv,
                pass_fds=(theirs.fileno(),),
                # Its stdin is its lifeline: EOF (the test ended, even by a crash) ends it.
                stdin=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            theirs.close()
            # A blocking read in a thread, bounded by the socket's own timeout.
            ours.settimeout(START_TIMEOUT)
            try:
                message, fds = await asyncio.to_thread(self._receive, ours, 2 * len(ports))
            except TimeoutError:
                raise NetworkError("the namespace holder sent no sockets") from None
            if message != b"ok":
                err = self._holder.stderr.read().decode() if self._holder.stderr else ""
                raise NetworkError(f"the namespace holder failed: {err.strip()}")
            sockets = [socket.socket(fileno=fd) for fd in fds]
            for index, port in enumerate(ports):
                self._listeners[port] = sockets[2 * index : 2 * index + 2]
        except BaseException:
            await self.stop()
            raise
        finally:
            ours.close()
            theirs.close()

    @staticmethod
    def _receive(sock: socket.socket, count: int) -> tuple[bytes, list[int]]:
        message, fds, _flags, _addr = socket.recv_fds(sock, 16, count)
        return message, fds

    async def forward(self, port: int, host: str, target: int) -> None:
        """Relay connections to ``port`` (127.0.0.1 and ::1 inside) to ``host:target``."""

        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._relays.add(task)
            try:
                up_reader, up_writer = await asyncio.open_connection(host, target)
            except OSError:
                writer.close()
                self._relays.discard(task)
                return
            try:
                await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
            finally:
                writer.close()
                up_writer.close()
                self._relays.discard(task)

        for sock in self._listeners.pop(port):
            self._servers.append(await asyncio.start_server(relay, sock=sock))

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        self._servers.clear()
        for task in list(self._relays):
            task.cancel()
        for task in list(self._relays):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for sockets in self._listeners.values():
            for sock in sockets:
                sock.close()
        self._listeners.clear()
        holder, self._holder = self._holder, None
        if holder is None:
            return
        if holder.stdin is not None:
            with contextlib.suppress(OSError):
                holder.stdin.close()
        try:
            await asyncio.wait_for(asyncio.to_thread(holder.wait), STOP_TIMEOUT)
        except TimeoutError:
            holder.kill()
            await asyncio.to_thread(holder.wait)
        if holder.stderr is not None:
            holder.stderr.close()


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF, then half-close, so TLS close_notify and stream ends pass through."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()
    except asyncio.CancelledError:
        writer.close()
        raise


# -- the holder, run by PrivateNetwork.start inside the new namespaces ----------------


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def _listen(port: int) -> list[socket.socket]:
    sockets = []
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        sock = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((address, port))
        sock.listen(64)
        sockets.append(sock)
    return sockets


def _hold(channel_fd: int, ca_bundle: str, ports: list[int]) -> None:
    channel = socket.socket(fileno=channel_fd)
    try:
        _loopback_up()
        if ca_bundle:
            # Only this mount namespace sees it: the host's bundle is untouched.
            subprocess.run(
                ["mount", "--bind", ca_bundle, str(SYSTEM_CA_BUNDLE)],
                check=True,
                capture_output=True,
            )
        sockets = [sock for port in ports for sock in _listen(port)]
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.decode() if isinstance(exc, subprocess.CalledProcessError) else ""
        print(f"{exc} {detail}".strip(), file=sys.stderr, flush=True)
        channel.sendall(b"error")
        sys.exit(1)
    socket.send_fds(channel, [b"ok"], [sock.fileno() for sock in sockets])
    channel.close()
    for sock in sockets:
        sock.close()
    # Held until the test closes our stdin, or ends in any way.
    sys.stdin.buffer.read()
    _empty_namespace()


def _empty_namespace(rounds: int = 100) -> None:
    """Kill every other process in this network namespace: all of them were
    started for the test, and a dead test leaves no client or bus behind."""
    ours = os.stat("/proc/self/ns/net").st_ino
    me = os.getpid()
    for _round in range(rounds):
        left = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}/ns/net").st_ino == ours:
                    left.append(int(entry))
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)


if __name__ == "__main__":
    _hold(int(sys.argv[1]), sys.argv[2], [int(port) for port in sys.argv[3:]])

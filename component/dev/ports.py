"""Free loopback TCP ports for a dev Prosody: c2s, component and HTTP, consecutive."""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
# Below Linux's ephemeral range (32768-60999), so outgoing connections made
# between our check and Prosody's bind do not take the ports from under us.
SEARCH_RANGE = (20000, 32000)


class PortsError(RuntimeError):
    """No usable block of ports."""


@dataclass(frozen=True, slots=True)
class DevPorts:
    c2s: int
    component: int
    http: int

    @classmethod
    def starting_at(cls, first: int) -> DevPorts:
        return cls(c2s=first, component=first + 1, http=first + 2)

    def all(self) -> tuple[int, int, int]:
        return (self.c2s, self.component, self.http)


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a listener could bind ``host:port`` now.

    SO_REUSEADDR mirrors what Prosody sets, so a port with only TIME_WAIT
    leftovers from an earlier run counts as free, as it is for Prosody.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def find_free_ports(ports_from: int | None = None, attempts: int = 200) -> DevPorts:
    """Ports ``ports_from``..+2 if given (all must be free), else a free block at random.

    A random start, rather than scanning upwards, keeps parallel test runs from
    racing each other for the same block.
    """
    if ports_from is not None:
        if not 1 <= ports_from <= 65533:
            raise PortsError(f"ports_from: must be between 1 and 65533, got {ports_from}")
        ports = DevPorts.starting_at(ports_from)
        busy = [port for port in ports.all() if not port_is_free(port)]
        if busy:
            raise PortsError(
                f"ports {ports_from}-{ports_from + 2} are needed but {busy} already in use"
            )
        return ports
    low, high = SEARCH_RANGE
    for _ in range(attempts):
        ports = DevPorts.starting_at(random.randrange(low, high - 2))
        if all(port_is_free(port) for port in ports.all()):
            return ports
    raise PortsError(f"no 3 consecutive free ports found in {low}-{high} after {attempts} tries")

import socket
import stat
import subprocess

import pytest

from component.dev.certs import ensure_certificate
from component.dev.ports import LOOPBACK, DevPorts, PortsError, find_free_ports, port_is_free


def test_certificate_is_made_once_for_the_domain(tmp_path):
    cert = ensure_certificate(tmp_path / "certs", "localhost", ["guest.localhost"])
    assert stat.S_IMODE(cert.key.stat().st_mode) == 0o600
    text = subprocess.run(
        ["openssl", "x509", "-in", str(cert.cert), "-noout", "-subject", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CN = localhost" in text
    assert "DNS:localhost, DNS:guest.localhost" in text
    before = (cert.cert.read_bytes(), cert.key.read_bytes())
    again = ensure_certificate(tmp_path / "certs", "localhost", ["guest.localhost"])
    assert again == cert
    assert (again.cert.read_bytes(), again.key.read_bytes()) == before
    assert sorted(p.name for p in (tmp_path / "certs").iterdir()) == [
        "localhost.crt",
        "localhost.key",
    ]


def test_free_ports_are_consecutive_and_free():
    ports = find_free_ports()
    assert ports == DevPorts(ports.c2s, ports.c2s + 1, ports.c2s + 2)
    assert all(port_is_free(port) for port in ports.all())


def test_ports_from_is_used_as_given():
    ports = find_free_ports()
    assert find_free_ports(ports.c2s) == ports


def test_ports_from_with_a_busy_port_is_refused():
    ports = find_free_ports()
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, ports.http))
        squatter.listen()
        assert not port_is_free(ports.http)
        with pytest.raises(PortsError, match=rf"\[{ports.http}\] already in use"):
            find_free_ports(ports.c2s)


@pytest.mark.parametrize("first", [0, 65534, -5])
def test_ports_from_out_of_range_is_refused(first):
    with pytest.raises(PortsError, match="ports_from: must be between 1 and 65533"):
        find_free_ports(first)

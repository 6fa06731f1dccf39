"""A certificate authority of a test's own, standing in for Let's Encrypt.

``LocalCA.create(folder)`` makes the authority; ``issue(folder, name, alt_names)``
a server certificate it signs, as certbot would get one, written the way
``prosodyctl cert import`` leaves it (``<name>.crt`` and ``<name>.key``). Clients
trust the authority, never the server certificate itself, so a name missing from
the certificate fails verification as it would in production. ``nss_home`` makes a
home folder whose NSS database trusts it, for Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from component.dev.certs import Certificate


class CAError(RuntimeError):
    """openssl or certutil failed."""


def _run(*argv: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        raise CAError(f"{' '.join(argv[:3])} failed ({result.returncode}): {result.stderr.strip()}")


def _key(path: Path) -> None:
    _run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-out", str(path))  # fmt: skip
    os.chmod(path, 0o600)


@dataclass(frozen=True, slots=True)
class LocalCA:
    cert: Path
    key: Path

    @classmethod
    def create(cls, folder: Path, name: str = "Huddle test CA") -> LocalCA:
        folder.mkdir(parents=True, exist_ok=True)
        ca = cls(folder / "ca.crt", folder / "ca.key")
        _key(ca.key)
        _run(
            "openssl", "req", "-x509", "-new", "-key", str(ca.key), "-out", str(ca.cert),
            "-days", "365", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip
        return ca

    def issue(self, folder: Path, name: str, alt_names: Sequence[str] = ()) -> Certificate:
        """A server certificate for ``name`` and ``alt_names``, signed by this authority."""
        folder.mkdir(parents=True, exist_ok=True)
        cert = Certificate(folder / f"{name}.crt", folder / f"{name}.key")
        _key(cert.key)
        request = folder / f"{name}.csr"
        extensions = folder / f"{name}.ext"
        names = ",".join(f"DNS:{each}" for each in (name, *alt_names))
        extensions.write_text(
            f"subjectAltName={names}\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth,clientAuth\n"
        )
        _run("openssl", "req", "-new", "-key", str(cert.key), "-out", str(request),
             "-subj", f"/CN={name}")  # fmt: skip
        _run(
            "openssl", "x509", "-req", "-in", str(request), "-CA", str(self.cert),
            "-CAkey", str(self.key), "-CAcreateserial", "-out", str(cert.cert),
            # Let's Encrypt's 90 days: Prosody warns of less than a month left.
            "-days", "90", "-extfile", str(extensions),
        )  # fmt: skip
        request.unlink()
        extensions.unlink()
        return cert

    def nss_home(self, home: Path) -> Path:
        """``home`` with ``.pki/nssdb`` trusting this authority for web sites:
        Chromium on Linux reads its trusted authorities there (HOME=home)."""
        if shutil.which("certutil") is None:
            raise CAError("certutil not found (Debian: apt-get install libnss3-tools)")
        nssdb = home / ".pki" / "nssdb"
        nssdb.mkdir(parents=True, exist_ok=True)
        _run("certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password")
        _run("certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "huddle-test-ca",
             "-i", str(self.cert))  # fmt: skip
        return home

"""A self-signed certificate for the dev Prosody, so GUI clients can use STARTTLS."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class CertificateError(RuntimeError):
    """openssl is missing or failed."""


@dataclass(frozen=True, slots=True)
class Certificate:
    cert: Path
    key: Path


def ensure_certificate(
    directory: Path, domain: str, alt_names: Sequence[str] = (), days: int = 3650
) -> Certificate:
    """Make ``<domain>.crt`` and ``<domain>.key`` in ``directory`` unless both exist.

    Made once per state directory: a client that accepted (pinned) the
    certificate keeps trusting it across ``huddle dev`` runs.
    """
    cert = Certificate(cert=directory / f"{domain}.crt", key=directory / f"{domain}.key")
    if cert.cert.exists() and cert.key.exists():
        return cert
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError("openssl: not found on PATH (Debian: apt-get install openssl)")
    directory.mkdir(parents=True, exist_ok=True)
    names = ",".join(f"DNS:{name}" for name in (domain, *alt_names))
    # Written under temporary names and renamed, so an interrupted run never
    # leaves a key without its certificate (or a half-written file) behind.
    tmp_cert, tmp_key = cert.cert.with_suffix(".crt.tmp"), cert.key.with_suffix(".key.tmp")
    command = [
        openssl,
        "req",
        "-x509",
        "-nodes",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-keyout",
        str(tmp_key),
        "-out",
        str(tmp_cert),
        "-days",
        str(days),
        "-subj",
        f"/CN={domain}",
        "-addext",
        f"subjectAltName={names}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        for path in (tmp_cert, tmp_key):
            path.unlink(missing_ok=True)
        raise CertificateError(f"openssl req failed ({result.returncode}): {result.stderr.strip()}")
    os.chmod(tmp_key, 0o600)
    os.replace(tmp_key, cert.key)
    os.replace(tmp_cert, cert.cert)
    return cert

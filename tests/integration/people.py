"""Who is who in authorization tests: one demo account per role (DESIGN §2), a
visitor, and a stranger: an account on the staff domain that is not in the
staff directory, so it has a login but no role."""

from __future__ import annotations

import secrets

from component.dev.stack import DevStack
from tests.integration.client import Client

ROLES = ("visitor", "agent", "supervisor", "admin", "stranger")
STAFF = ("agent", "supervisor", "admin")
# The demo account that plays each staff role, and its display name (its nick).
DEMO = {"agent": "jennie", "supervisor": "john", "admin": "admin"}
NAMES = {"agent": "Jennie", "supervisor": "John", "admin": "Admin"}
STRANGER = "stranger"
_passwords: dict[int, str] = {}


async def login_stranger(stack: DevStack) -> Client:
    """Register the stranger's account once per stack, then log in."""
    password = _passwords.get(id(stack))
    if password is None:
        password = secrets.token_urlsafe(9)
        await stack.prosody.register(STRANGER, stack.info.staff_domain, password)
        _passwords[id(stack)] = password
    return await login_account(stack, STRANGER, password)


async def login_account(stack: DevStack, user: str, password: str) -> Client:
    info = stack.info
    jid = f"{user}@{info.staff_domain}"
    return await Client.login(
        info.c2s_host, info.c2s_port, jid, password, f"test{secrets.token_hex(3)}"
    )

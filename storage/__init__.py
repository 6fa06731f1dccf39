"""Huddle's storage: SQLite through aiosqlite. Independent of the XMPP edge and of roles."""

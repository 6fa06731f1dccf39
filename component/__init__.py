"""Huddle's XMPP edge: the component, its MUC service, commands and CLI."""

"""The XEP-0045 service: rooms, presence, messages, disco, self-ping."""

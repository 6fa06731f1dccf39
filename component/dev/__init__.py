"""A throwaway local deployment: Prosody on free loopback ports, demo staff, the component.

Used by ``huddle dev`` and by the integration tests; nothing here is for production.
"""

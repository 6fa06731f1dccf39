"""XEP-0050 ad-hoc commands at the service JID: chat and staff administration
from any client's commands menu, checked against ``roles.authorization``."""

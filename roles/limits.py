"""Rate limits: a token bucket per occupant, for messages and for presence.

Pure: callers pass the clock. A bucket starts full (``burst`` tokens) and gains
``rate`` tokens a second up to ``burst``; each stanza takes one. A visitor who
floods gets errors once the burst is spent and then one stanza per 1/rate
seconds, however fast they send.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    per_second: float
    burst: int


@dataclass(slots=True)
class TokenBucket:
    rate: Rate
    tokens: float
    stamp: float

    @classmethod
    def full(cls, rate: Rate, now: float) -> TokenBucket:
        return cls(rate, float(rate.burst), now)

    def take(self, now: float) -> bool:
        """Spend one token if there is one; False means over the limit."""
        elapsed = max(0.0, now - self.stamp)
        self.tokens = min(float(self.rate.burst), self.tokens + elapsed * self.rate.per_second)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class Buckets:
    """One bucket per key (an occupant's bare JID and what is counted), made full
    on first use; keys whose bucket would be full again are forgotten, so idle
    occupants cost nothing."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def take(self, key: tuple[str, str], rate: Rate, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket.full(rate, now)
        allowed = bucket.take(now)
        if len(self._buckets) > 64:
            self._forget_full(now)
        return allowed

    def _forget_full(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            refill = (now - bucket.stamp) * bucket.rate.per_second
            if bucket.tokens + refill >= bucket.rate.burst:
                del self._buckets[key]

"""Slowing down password guessing: failed logins counted in Redis.

Failures are counted per client address and username, so a guesser is
stopped without letting anyone lock a colleague out from another machine.
When Redis is down the console still lets people log in (and says so in
the log): the throttle is a brake, not a door.
Known gap: behind a reverse proxy every client has the proxy's address;
werkzeug's ProxyFix would be needed to count real clients.
"""

from __future__ import annotations

import hashlib
import logging

import redis

logger = logging.getLogger(__name__)

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
KEY_PREFIX = "callcenter:login-failures:"


class LoginThrottle:
    def __init__(self, redis_url: str):
        self._redis = redis.Redis.from_url(
            redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
        )

    @staticmethod
    def _key(address: str, username: str) -> str:
        # Hashed so what people typed as a username is not kept in Redis.
        digest = hashlib.sha256(f"{address}\0{username}".encode()).hexdigest()
        return KEY_PREFIX + digest[:32]

    def blocked_for(self, address: str, username: str) -> int:
        """Seconds until this address may try this username again (0: now)."""
        key = self._key(address, username)
        try:
            failures = int(self._redis.get(key) or 0)
            if failures < MAX_FAILURES:
                return 0
            return max(int(self._redis.ttl(key)), 1)
        except redis.RedisError as error:
            logger.warning("login throttle: redis unavailable (%s); not applied", error)
            return 0

    def failed(self, address: str, username: str) -> None:
        key = self._key(address, username)
        try:
            with self._redis.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, WINDOW_SECONDS, nx=True)
                pipe.execute()
        except redis.RedisError as error:
            logger.warning("login throttle: failure not counted (%s)", error)

    def succeeded(self, address: str, username: str) -> None:
        try:
            self._redis.delete(self._key(address, username))
        except redis.RedisError as error:
            logger.warning("login throttle: counter not cleared (%s)", error)

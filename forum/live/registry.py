"""Who is connected where: each user's sockets and each idea's viewers.

With SOCKETIO_MESSAGE_QUEUE set, several server processes share the rooms, so
this record lives in the same Redis; otherwise it is a dict in this process.
Socket ids are only meaningful to the process holding the socket, but
python-socketio routes a disconnect of a remote sid through the queue, so a
shared list of sids is enough to end a user's sockets everywhere.
"""

from __future__ import annotations

import json
import threading
import time

from flask import Flask, current_app

from forum.extensions import socketio

# A viewer entry lives this long unless its process refreshes it: a crashed
# process leaves no ghost viewers behind for longer than that.
VIEWER_TTL = 90
REFRESH_EVERY = 30
# Socket lists are bounded garbage if a process dies; a day is far longer than a page stays open.
SOCKETS_TTL = 24 * 3600


class MemoryRegistry:
    """Single process: everything in dicts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[int | str, set[str]] = {}
        self._viewers: dict[int, dict[str, tuple[int, str]]] = {}
        self._presence_until: dict[int, float] = {}

    def add_socket(self, user_id: int | str, sid: str) -> None:
        with self._lock:
            self._sockets.setdefault(user_id, set()).add(sid)

    def remove_socket(self, user_id: int | str, sid: str) -> None:
        with self._lock:
            self._sockets.get(user_id, set()).discard(sid)
            if not self._sockets.get(user_id):
                self._sockets.pop(user_id, None)

    def sockets(self, user_id: int | str) -> list[str]:
        with self._lock:
            return sorted(self._sockets.get(user_id, ()))

    def add_viewer(self, idea_id: int, sid: str, user_id: int, name: str) -> None:
        with self._lock:
            self._viewers.setdefault(idea_id, {})[sid] = (user_id, name)

    def remove_viewer(self, idea_id: int, sid: str) -> None:
        with self._lock:
            self._viewers.get(idea_id, {}).pop(sid, None)
            if not self._viewers.get(idea_id):
                self._viewers.pop(idea_id, None)

    def viewers(self, idea_id: int) -> list[tuple[int, str]]:
        """(user id, name) of everyone viewing the idea, each user once, by name."""
        with self._lock:
            entries = list(self._viewers.get(idea_id, {}).values())
        return _unique(entries)

    def claim_presence(self, idea_id: int, interval: float) -> float:
        """0 if this process may send the idea's viewers now (and holds the interval), else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            until = self._presence_until.get(idea_id, 0.0)
            if until > now:
                return until - now
            self._presence_until[idea_id] = now + interval
            if len(self._presence_until) > 10_000:  # bounded: forget rooms whose interval has passed
                self._presence_until = {k: v for k, v in self._presence_until.items() if v > now}
            return 0.0


class RedisRegistry:
    """Several processes: a set of sids per user, a sorted set of viewers per idea (score = expiry)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix
        self._lock = threading.Lock()
        # This process's viewer entries, refreshed while their sockets stay open.
        self._mine: dict[tuple[int, str], bytes] = {}
        self._refresher_started = False

    def _user_key(self, user_id: int | str) -> str:
        return f"{self._prefix}user:{user_id}"

    def _idea_key(self, idea_id: int) -> str:
        return f"{self._prefix}viewers:{idea_id}"

    def add_socket(self, user_id: int | str, sid: str) -> None:
        pipe = self._redis.pipeline()
        pipe.sadd(self._user_key(user_id), sid)
        pipe.expire(self._user_key(user_id), SOCKETS_TTL)
        pipe.execute()

    def remove_socket(self, user_id: int | str, sid: str) -> None:
        self._redis.srem(self._user_key(user_id), sid)

    def sockets(self, user_id: int | str) -> list[str]:
        return sorted(s.decode() for s in self._redis.smembers(self._user_key(user_id)))

    def add_viewer(self, idea_id: int, sid: str, user_id: int, name: str) -> None:
        member = json.dumps([sid, user_id, name]).encode()
        with self._lock:
            self._mine[(idea_id, sid)] = member
        self._put({self._idea_key(idea_id): [member]})
        self._start_refresher()

    def remove_viewer(self, idea_id: int, sid: str) -> None:
        with self._lock:
            member = self._mine.pop((idea_id, sid), None)
        if member is not None:
            self._redis.zrem(self._idea_key(idea_id), member)

    def viewers(self, idea_id: int) -> list[tuple[int, str]]:
        key = self._idea_key(idea_id)
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", time.time())
        pipe.zrange(key, 0, -1)
        _, members = pipe.execute()
        entries = []
        for raw in members:
            _sid, user_id, name = json.loads(raw)
            entries.append((user_id, name))
        return _unique(entries)

    def claim_presence(self, idea_id: int, interval: float) -> float:
        """0 if this process may send the idea's viewers now (all processes share the interval), else seconds left."""
        key = f"{self._prefix}presence:{idea_id}"
        if self._redis.set(key, b"1", nx=True, px=max(1, int(interval * 1000))):
            return 0.0
        left = self._redis.pttl(key)
        return left / 1000 if left > 0 else 0.05  # -1/-2: it expired just now; try again very soon

    def _put(self, members_by_key: dict[str, list[bytes]]) -> None:
        expires = time.time() + VIEWER_TTL
        pipe = self._redis.pipeline()
        for key, members in members_by_key.items():
            pipe.zadd(key, {m: expires for m in members})
            pipe.expire(key, VIEWER_TTL)
        pipe.execute()

    def refresh(self) -> None:
        """Push back the expiry of this process's viewer entries."""
        with self._lock:
            mine = list(self._mine.items())
        grouped: dict[str, list[bytes]] = {}
        for (idea_id, _sid), member in mine:
            grouped.setdefault(self._idea_key(idea_id), []).append(member)
        if grouped:
            self._put(grouped)

    def _start_refresher(self) -> None:
        with self._lock:
            if self._refresher_started:
                return
            self._refresher_started = True
        socketio.start_background_task(self._refresh_forever)

    def _refresh_forever(self) -> None:
        while True:
            socketio.sleep(REFRESH_EVERY)
            try:
                self.refresh()
            except Exception:  # Redis briefly away: the next round retries; entries expire meanwhile
                pass


def _unique(entries: list[tuple[int, str]]) -> list[tuple[int, str]]:
    seen: dict[int, str] = {}
    for user_id, name in entries:
        seen.setdefault(user_id, name)
    return sorted(seen.items(), key=lambda item: (item[1].casefold(), item[0]))


def _uses_redis(url: str | None) -> bool:
    return bool(url) and url.startswith(("redis://", "rediss://", "unix://"))


def init_registry(app: Flask) -> MemoryRegistry | RedisRegistry:
    """The registry for this app: Redis when the Socket.IO queue is Redis, else in-process."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if _uses_redis(url):
        # The prefix lets test runs (and several forums on one Redis) keep apart.
        prefix = app.config.get("LIVE_REDIS_PREFIX") or "psi-forum:live:"
        found: MemoryRegistry | RedisRegistry = RedisRegistry(url, prefix)
    else:
        found = MemoryRegistry()
    app.extensions["forum_live_registry"] = found
    return found


def registry() -> MemoryRegistry | RedisRegistry:
    """The current app's registry, created on first use."""
    found = current_app.extensions.get("forum_live_registry")
    return found if found is not None else init_registry(current_app)

"""Presence: who is viewing an idea, sent to its room at most once per interval, as a count and a few names.

Sending the whole viewer list to the whole room on every join is O(n^2): 200 people opening a thread
would send 40,000 frames, 1,000 a million. Here a change only marks the room; the room hears about it
at once if nothing was sent in the last `LIVE_PRESENCE_INTERVAL` seconds, else once when the interval
ends, with the state at that moment. The claim on the interval lives in the registry (Redis with a
message queue), so all processes together send at most one update per room per interval. Each update
carries the number of viewers and the first MAX_NAMES names, so its size does not grow with the room.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app

from forum.extensions import socketio
from forum.live.broadcast import idea_room
from forum.live.registry import registry

DEFAULT_INTERVAL = 1.5
MAX_NAMES = 20


def viewers_payload(idea_id: int) -> dict:
    """The `viewers` event: how many users view the idea and the first MAX_NAMES of them, by name."""
    viewers = registry().viewers(idea_id)
    shown = viewers[:MAX_NAMES]
    return {
        "idea_id": idea_id,
        "count": len(viewers),
        "users": [name for _, name in shown],
        "user_ids": [user_id for user_id, _ in shown],
    }


class Presence:
    """One app's presence sender: a room changed, so its viewers hear about it once the interval allows."""

    def __init__(self, app: Flask, interval: float) -> None:
        self._app = app
        # The Socket.IO server this app was given: a late update from an app that is gone (tests make
        # one app after another on the one `socketio` extension) must not reach the next app's rooms.
        self._server = socketio.server
        self.interval = interval
        self._lock = threading.Lock()
        self._pending: set[int] = set()  # rooms with an update already scheduled in this process

    def changed(self, idea_id: int) -> None:
        """Someone joined or left the idea's room."""
        with self._lock:
            if idea_id in self._pending:
                return
        wait = registry().claim_presence(idea_id, self.interval) if self.interval > 0 else 0.0
        if wait <= 0:
            self._server.emit("viewers", viewers_payload(idea_id), to=idea_room(idea_id), namespace="/")
            return
        with self._lock:
            if idea_id in self._pending:
                return
            self._pending.add(idea_id)
        socketio.start_background_task(self._later, idea_id, wait)

    def _later(self, idea_id: int, wait: float) -> None:
        socketio.sleep(wait)
        with self._app.app_context():
            with self._lock:
                self._pending.discard(idea_id)
            try:
                self.changed(idea_id)
            except Exception:  # Redis briefly away: the next change sends the state again
                self._app.logger.exception("presence update for idea %s failed", idea_id)


def presence() -> Presence:
    """The current app's presence sender, made on first use."""
    found = current_app.extensions.get("forum_live_presence")
    if found is None:
        interval = float(current_app.config.get("LIVE_PRESENCE_INTERVAL", DEFAULT_INTERVAL))
        found = current_app.extensions.setdefault(
            "forum_live_presence", Presence(current_app._get_current_object(), interval)
        )
    return found

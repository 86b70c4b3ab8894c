"""The Redis message queue between server processes, and what it does after losing Redis for a while.

Found by bench/fault.py: while Redis is down (and until each process's listener has subscribed again,
which took python-socketio up to 7 s after a 3 s outage), an event published by one process reaches no
other process, and the sockets that missed it have no way to know. After the listener subscribes again,
this manager tells every socket of its own process `resync`; the page (static/js/live.js) then fetches
the comments it missed from the API, as it does after its own reconnect.
"""

import time

import socketio

RETRY_FIRST, RETRY_MAX = 0.5, 5.0  # seconds between attempts to subscribe again (python-socketio: 1 .. 60)


class ResyncRedisManager(socketio.RedisManager):
    """python-socketio's RedisManager; its listener retries faster and announces `resync` once back."""

    def _redis_listen_with_retries(self):  # pragma: no cover  (exercised by bench/fault.py)
        # python-socketio's own loop (socketio/redis_manager.py), with a `resync` after every re-subscribe.
        retry_sleep, subscribed, first = RETRY_FIRST, False, True
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed, retry_sleep = True, RETRY_FIRST
                    if not first:
                        self.emit("resync", {}, namespace="/", ignore_queue=True)  # this process's sockets only
                    first = False
                yield from self.pubsub.listen()
            except Exception as exc:  # any failure of the connection: log, wait, subscribe again
                self._get_logger().error(f"Cannot receive from redis... retrying in {retry_sleep} secs ({exc})")
                subscribed = False
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, RETRY_MAX)


def queue_options(url: str | None) -> dict:
    """The socketio.init_app arguments for the message queue `url` (None: a single process, no queue)."""
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return {"client_manager": ResyncRedisManager(url, channel="flask-socketio")}
    return {"message_queue": url}

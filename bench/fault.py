"""Faults during the mixed load of bench/load.py: a server killed, Redis stopped, PostgreSQL stopped.

Run from the repository root (127.0.0.1 only, bounded, everything it starts is stopped at the end):

    .venv/bin/python bench/fault.py                # 60 s of load
    .venv/bin/python bench/fault.py --seconds 30   # a quicker check

It runs bench/load.py's load on its own throwaway PostgreSQL cluster (initdb on a free port, as the
`postgres` user when run as root) and its own redis-server on a free port, so the shared PostgreSQL and
Redis are never stopped. While the load runs:

1. at 20% of the time, `kill -9` the second gunicorn process group, then start it again on its port;
2. at 45%, stop Redis (the Socket.IO queue and the limiter storage) for `--outage` seconds, then start it;
3. at 70%, stop PostgreSQL (`pg_ctl stop -m fast`) for `--outage` seconds, then start it.

For each fault it prints what was done, how long until the service was back and until the forum answered
end to end again (a comment posted through the API on one process reaching a Socket.IO client on the
other), and the errors the load saw meanwhile by kind and answer. Errors during a fault are allowed only
when a client can tell to retry: a refused or dropped connection, a timeout, 502/503/504, a socket ack
{"ok": false}. A 500, a lost or duplicated comment, a live client missing an event of its room (after its
own reconnect and catch-up) or an index that disagrees with the database fails the run.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import socketio as socketio_client  # noqa: E402

from bench import load as bench_load  # noqa: E402

RETRYABLE = ("ConnectionError", "ReadTimeout", "Timeout", "TimeoutError", "BadNamespaceError", "502", "503", "504")


def _retryable(what: str) -> bool:
    return what.split(" ", 1)[0] in RETRYABLE or what.startswith("{'ok': False") or what == "None"


class EndToEnd:
    """A comment posted through the API on process 2 must reach a Socket.IO client on process 1."""

    def __init__(self, stack, token: str) -> None:
        self.stack, self.token = stack, token
        self.headers = {"Authorization": f"Bearer {token}"}
        urls = stack.urls
        idea = requests.post(f"{urls[0]}/api/v1/ideas", json={"title": "Fault probe room", "body": "b", "category": 1},
                             headers=self.headers, timeout=15).json()  # fmt: skip
        self.idea_id, self.seen = idea["id"], set()
        self.client = socketio_client.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.client.on("comment_created", lambda data: self.seen.add(data["comment"]["body"]))
        self.client.on("connect", self._join)
        self.client.connect(urls[0], auth={"token": token}, transports=["websocket"], wait_timeout=10)

    def _join(self) -> None:
        self.client.start_background_task(self.client.call, "join_idea", {"idea_id": self.idea_id}, timeout=5)

    def works(self, n: int) -> bool:
        body = f"probe {n} {time.time()}"
        try:
            r = requests.post(f"{self.stack.urls[1]}/api/v1/ideas/{self.idea_id}/comments", json={"body": body},
                              headers=self.headers, timeout=5)  # fmt: skip
        except requests.RequestException:
            return False
        if r.status_code != 201:
            return False
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if body in self.seen:
                return True
            time.sleep(0.05)
        return False

    def wait(self, timeout: float = 60) -> float:
        start, n = time.monotonic(), 0
        while time.monotonic() - start < timeout:
            n += 1
            if self.works(n):
                return time.monotonic() - start
            time.sleep(0.2)
        return float("inf")


def _errors_between(outcome, t0: float, t1: float) -> str:
    seen: dict[str, int] = {}
    for when, kind, what in outcome.error_times:
        if t0 <= when <= t1:
            key = f"{kind} {what.split(' ', 1)[0] if what[:1].isdigit() else what[:40]}"
            seen[key] = seen.get(key, 0) + 1
    return ", ".join(f"{k} x{v}" for k, v in sorted(seen.items())) or "none"


def faults(outage: float):
    def during(stack, outcome, start: float, seconds: float) -> list[str]:
        token = requests.post(f"{stack.urls[0]}/api/v1/auth/token",
                              json={"email": "user0@load.example", "password": bench_load.PASSWORD},
                              timeout=15).json()["token"]  # fmt: skip
        probe = EndToEnd(stack, token)
        done = []
        try:
            for fraction, name in ((0.2, "kill"), (0.45, "redis"), (0.7, "postgres")):
                delay = start + fraction * seconds - time.time()
                if delay > 0:
                    time.sleep(delay)
                t0 = time.time()
                if name == "kill":
                    server = stack.site.servers[1]
                    os.killpg(server.process.pid, signal.SIGKILL)
                    server.process.wait(timeout=10)
                    stack.site.servers.remove(server)
                    stack.site.start(port=stack.ports[1])
                    what = f"kill -9 of server process group {server.process.pid}, restarted on port {stack.ports[1]}"
                elif name == "redis":
                    stack.redis.stop()
                    time.sleep(outage)
                    stack.redis.start()
                    what = f"redis-server stopped for {outage:.0f} s, started again"
                else:
                    stack.postgres.stop()
                    time.sleep(outage)
                    stack.postgres.start()
                    what = f"PostgreSQL stopped (pg_ctl -m fast) for {outage:.0f} s, started again"
                back = time.time() - t0
                end_to_end = probe.wait()
                t1 = time.time()
                done.append(
                    f"{what}: service back after {back:.1f} s, forum end to end after {back + end_to_end:.1f} s; "
                    f"load errors meanwhile: {_errors_between(outcome, t0, t1 + 2)}"
                )
        finally:
            probe.client.disconnect()
        return done

    return during


def main(argv=None) -> int:
    parser_args = list(argv if argv is not None else sys.argv[1:])
    outage = 3.0
    if "--outage" in parser_args:
        i = parser_args.index("--outage")
        outage = float(parser_args[i + 1])
        del parser_args[i : i + 2]
    opts = bench_load.parse_args(["--scale", "1", *parser_args, "--own-postgres"])
    report = bench_load.run(opts, during=faults(outage))
    unclear = [
        f"{kind} {what}"
        for _, kind, what in report["outcome"].error_times
        if not _retryable(what)
    ]  # fmt: skip
    if unclear:
        print(f"errors a client could not tell to retry: {len(unclear)}, e.g. {unclear[:5]}")
    ok = bench_load.verdict(report, allowed_errors=True) and not unclear
    print("FAULTS: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Fan-out across server processes: each sends only to its own sockets, so its cost stays flat as processes are added.

Real gunicorn processes sharing SQLite and the Redis message queue, lean clients from bench/live.py. The
bounds are on CPU ratios and counts, generous enough for a busy shared machine, never on latency.
"""

import argparse
import uuid

import pytest
import redis

from bench.live import fan_out
from tests.browser.servers import Site, api_post, api_token

REDIS_QUEUE = "redis://127.0.0.1:6379/0"
CLIENTS_PER_PROCESS = 40
POSTS = 20


def _args(processes: int) -> argparse.Namespace:
    # One client process per server process: bench/live.py gives each client process one server.
    return argparse.Namespace(posts=POSTS, rate=10.0, procs=processes, late_ms=10_000.0, profile=None)


@pytest.mark.server
def test_fan_out_cost_per_process_stays_flat_as_processes_are_added(tmp_path):
    run = uuid.uuid4().hex[:8]
    users = {f"author.{run}@x.gov": ("Author", "officer"), f"senior.{run}@x.gov": ("Senior", "senior")}
    users[f"viewer.{run}@x.gov"] = ("Viewer", "officer")
    author_email, senior_email, viewer_email = users
    measured = {}
    with Site(tmp_path, queue=REDIS_QUEUE) as site:
        site.create(users)
        for processes in (1, 3):
            servers = [site.start() for _ in range(processes)]
            first = servers[0].url
            author, senior = api_token(first, author_email), api_token(first, senior_email)
            viewer = api_token(first, viewer_email)
            idea = api_post(first, author, "/ideas", {"title": f"Fan-out over {processes}", "body": "b", "category": 1})
            result = fan_out(
                f"{processes} processes", [s.url for s in servers], first, senior, viewer, idea["id"],
                CLIENTS_PER_PROCESS * processes, _args(processes), [s.process.pid for s in servers],
            )  # fmt: skip
            # Each process subscribed once to the queue: one message per event per process, whatever its sockets.
            subscribers = dict(redis.Redis.from_url(REDIS_QUEUE).pubsub_numsub("flask-socketio"))
            site.stop()
            assert subscribers[b"flask-socketio"] >= processes
            assert result["never"] == 0, result  # every client got every comment once (duplicates do not count)
            assert result["delivered"] == CLIENTS_PER_PROCESS * processes * POSTS
            measured[processes] = result["server_cpu"] / processes
    one, three = measured[1], measured[3]
    # Three times the clients on three processes: each process spends about what one did for its share
    # (the posting process also handles the posts). A broadcast that every process repeated for every
    # client would triple it.
    assert three < 2.0 * one + 0.3, measured

"""Live fan-out benchmark: comment delivery latency to 200 Socket.IO clients in one idea's room.

Phase 1: one gunicorn process (gevent worker). Phase 2: two processes sharing the
Redis message queue, clients split over both, comments posted to the first.
Each comment is posted through the JSON API at a steady rate; its body carries
the send time, and every client records when comment_created arrived.

    .venv/bin/python bench/live.py [--clients 200] [--posts 100] [--rate 10] [--procs 4]

Only 127.0.0.1; a temporary SQLite database and index made with `flask db
upgrade` and the create-* commands; bounded in count and time; every process
it starts is stopped at the end (also on error or Ctrl-C).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.browser.servers import Site, api_post, api_token  # noqa: E402

REDIS_QUEUE = "redis://127.0.0.1:6379/0"
CONNECT_TIMEOUT = 60  # seconds for all clients to connect and join
DRAIN = 3.0  # seconds to wait for late deliveries after the last post


def client_worker(url: str, token: str, idea_id: int, count: int, ready, results, stop) -> None:
    """One client process: `count` python-socketio clients in the idea's room, recording arrival latency."""
    import socketio

    arrivals: list[tuple[int, int, float]] = []  # (client, seq, latency in s)
    lock = threading.Lock()
    clients = []

    def handler(index: int):
        def on_created(data: dict) -> None:
            now = time.time()
            parts = data["comment"]["body"].split()
            if len(parts) == 3 and parts[0] == "bench":
                with lock:
                    arrivals.append((index, int(parts[1]), now - float(parts[2])))

        return on_created

    try:
        for index in range(count):
            sio = socketio.Client(reconnection=False)
            sio.on("comment_created", handler(index))
            sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=20)
            if not sio.call("join_idea", {"idea_id": idea_id}, timeout=20).get("ok"):
                raise RuntimeError("join_idea refused")
            clients.append(sio)
        ready.put(("ok", count))
    except Exception as exc:  # report and leave: the parent stops the run
        ready.put(("error", repr(exc)))
    stop.wait(timeout=600)
    for sio in clients:
        try:
            sio.disconnect()
        except Exception:
            pass
    with lock:
        results.put(list(arrivals))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def run_phase(label: str, urls: list[str], post_url: str, tokens: dict, idea_id: int, args) -> dict:
    """Connect the clients (split over urls and processes), post, and measure."""
    ctx = mp.get_context("spawn")
    ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    per_proc = [args.clients // args.procs + (1 if i < args.clients % args.procs else 0) for i in range(args.procs)]
    procs = []
    try:
        for i, count in enumerate(per_proc):
            url = urls[i % len(urls)]
            token = tokens["viewers"][i % len(tokens["viewers"])]
            proc = ctx.Process(target=client_worker, args=(url, token, idea_id, count, ready, results, stop))
            proc.start()
            procs.append(proc)
        connected = 0
        for _ in procs:
            status, value = ready.get(timeout=CONNECT_TIMEOUT)
            if status != "ok":
                raise RuntimeError(f"client process failed: {value}")
            connected += value
        time.sleep(1)  # let the join-time viewers updates settle before measuring

        session = requests.Session()
        headers = {"Authorization": f"Bearer {tokens['senior']}"}
        post_times = []
        start = time.monotonic()
        for seq in range(args.posts):
            # Steady rate: each post at its slot, whatever the previous one cost.
            time.sleep(max(0.0, start + seq / args.rate - time.monotonic()))
            sent = time.time()
            response = session.post(
                f"{post_url}/api/v1/ideas/{idea_id}/comments",
                json={"body": f"bench {seq} {sent:.6f}"},
                headers=headers,
                timeout=10,
            )
            post_times.append(time.time() - sent)
            response.raise_for_status()
        time.sleep(DRAIN)
        stop.set()
        delivered, latencies_ms = 0, []
        for _ in procs:
            arrivals = results.get(timeout=60)
            # (client, seq) is unique within one process; a duplicate delivery would not count twice.
            delivered += len({(client, seq) for client, seq, _ in arrivals})
            latencies_ms.extend(lat * 1000 for _, _, lat in arrivals)
    finally:
        stop.set()
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)

    expected = connected * args.posts
    return {
        "label": label,
        "clients": connected,
        "posts": args.posts,
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "p50": percentile(latencies_ms, 50),
        "p95": percentile(latencies_ms, 95),
        "p99": percentile(latencies_ms, 99),
        "max": max(latencies_ms) if latencies_ms else float("nan"),
        "post_p50": percentile([t * 1000 for t in post_times], 50),
        "post_p95": percentile([t * 1000 for t in post_times], 95),
    }


def report(result: dict) -> None:
    print(
        f"{result['label']}: {result['clients']} clients, {result['posts']} posts -> "
        f"delivery p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms, "
        f"max {result['max']:.1f} ms; lost {result['lost']} of {result['expected']}; "
        f"API post p50 {result['post_p50']:.1f} ms, p95 {result['post_p95']:.1f} ms",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="posts per second")
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--skip-redis", action="store_true", help="only the one-process phase")
    args = parser.parse_args()
    args.clients, args.posts = min(args.clients, 1000), min(args.posts, 1000)  # bounded
    args.rate = min(max(args.rate, 0.5), 100.0)
    args.procs = max(1, min(args.procs, 16))

    viewers = [f"viewer{i}@bench.gov" for i in range(args.procs)]
    users = {"author@bench.gov": ("Bench Author", "officer"), "senior@bench.gov": ("Bench Senior", "senior")}
    users.update({email: (f"Viewer {i}", "officer") for i, email in enumerate(viewers)})
    results = []
    with tempfile.TemporaryDirectory(prefix="psi-bench-live-") as tmp, Site(Path(tmp)) as site:
        print("creating the database with flask db upgrade and the create-* commands ...", flush=True)
        site.create(users)

        one = site.start()
        tokens = {"senior": api_token(one.url, "senior@bench.gov"), "viewers": [api_token(one.url, e) for e in viewers]}
        author = api_token(one.url, "author@bench.gov")
        idea = api_post(one.url, author, "/ideas", {"title": "Benchmark idea", "body": "Fan-out", "category": 1})
        results.append(run_phase("1 process", [one.url], one.url, tokens, idea["id"], args))
        report(results[-1])
        site.stop()

        if not args.skip_redis:
            site.env["SOCKETIO_MESSAGE_QUEUE"] = REDIS_QUEUE
            first, second = site.start(), site.start()
            idea = api_post(
                first.url, author, "/ideas", {"title": "Benchmark idea 2", "body": "Fan-out", "category": 1}
            )
            label = "2 processes + Redis"
            try:
                results.append(run_phase(label, [first.url, second.url], first.url, tokens, idea["id"], args))
            except Exception:
                for server in site.servers:  # the servers' own account of what went wrong
                    lines = [ln for ln in server.log.read_text().splitlines() if "/socket.io/" not in ln]
                    print(f"--- {server.url} log tail ---", *lines[-30:], sep="\n", file=sys.stderr)
                raise
            report(results[-1])
    print("target: p95 < 100 ms and 0 lost")
    return 0 if all(r["p95"] < 100 and r["lost"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

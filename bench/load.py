"""Mixed load on two forum processes (PostgreSQL, Redis queue and limiter storage), then a full comparison.

Run from the repository root; 127.0.0.1 only, bounded in time, everything it starts is stopped at the end:

    .venv/bin/python bench/load.py                 # 60 s
    .venv/bin/python bench/load.py --seconds 15    # a quick check

What runs, each kind at a fixed rate (open loop: latency counts from the scheduled time, so a slow server
shows as latency, not as fewer requests): readers of the idea list and of idea pages (session cookies),
posters of ideas and comments through the API, comment posters over Socket.IO, searchers, and `--clients`
live clients (lean Engine.IO clients, the LeanClient of bench/live.py) spread over `--rooms` idea rooms and
both servers. One extra kind, `limit_probe`, posts ideas from one address faster than the API's
"30 per minute" on purpose: its 429s are the only refusals counted as expected.

Every poster and reader has its own source address (127.0.0.2, .3, ...): the per-address limits then
apply per simulated user, as they would to real users, instead of to the whole benchmark.

Servers: two gunicorn processes (gunicorn.conf.py) sharing a PostgreSQL database the script creates
(`load_<pid>` on 127.0.0.1:5432, dropped at the end; never `test`) or, with --own-postgres, a throwaway
cluster of its own (initdb on a free port: bench/fault.py stops it), and a private redis-server on a free
port (others' Redis is never touched). Printed: per kind the count, rate, p50/p99 and errors; each server
process's CPU busy share; the load average; then the comparison: comments the posters were told were saved
and are missing from the database (lost), comments saved twice (duplicated), the search index against the
database (`flask search check --no-repair`), and for each live client the comments of its room it did not
get (live or by its catch-up after a reconnect) and those it got twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import socketio as socketio_client  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

from bench.live import LeanClient, Stats, group_cpu  # noqa: E402
from tests.browser.servers import HOST, PASSWORD, Site, free_port  # noqa: E402

SHARED_PG = "postgresql://postgres@127.0.0.1:5432"
# Requests per second of each kind at --scale 1 (the fault run's load); the benchmark's default --scale 3
# keeps both servers busy, not saturated, on a 2-core machine. Scaling adds users, so each simulated user
# keeps its own rate (and stays under the per-address limits).
RATES = {
    "list_reader": 3.0,
    "idea_reader": 3.0,
    "api_idea": 0.5,
    "api_comment": 3.0,
    "socket_comment": 2.0,
    "searcher": 2.0,
    "limit_probe": 4.0,  # past "30 per minute" within 8 s: 429s from then on
}
# Simulated users (each with its own source address) per kind.
ACTORS = {"list_reader": 3, "idea_reader": 3, "api_idea": 3, "api_comment": 8, "socket_comment": 2, "searcher": 3}
EXPECTED_REFUSALS = {"limit_probe": 429}


# Infrastructure ---------------------------------------------------------------------------------------


class SourceAdapter(HTTPAdapter):
    """Connections from one loopback address, so the server's per-address limits see one simulated user."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(pool_connections=2, pool_maxsize=8)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def session_from(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", SourceAdapter(address))
    return session


class PrivateRedis:
    """A redis-server of our own on a free port, no persistence: stop() and start() are the Redis fault."""

    def __init__(self, directory: Path) -> None:
        self.port, self.directory, self.process = free_port(), directory, None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: _redis_ping(self.port), 10, "redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _redis_ping(port: int) -> bool:
    import socket

    try:
        with socket.create_connection((HOST, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb) on a free port; stop()/start() are the database fault."""

    def __init__(self, directory: Path) -> None:
        self.port, self.data = free_port(), directory / "pgdata"
        self.user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/load"

    def init(self) -> None:
        self.data.mkdir(parents=True)
        if self.user:
            shutil.chown(self.data.parent, "postgres")
            shutil.chown(self.data, "postgres")
        subprocess.run([*self.user, "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True)  # fmt: skip
        self.start()
        subprocess.run(["psql", "-h", HOST, "-p", str(self.port), "-U", "postgres", "-qc", "create database load"],
                       check=True, capture_output=True)  # fmt: skip

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self.user, "pg_ctl", "-D", str(self.data), "-w", "-t", "30", *args],
                       check=True, capture_output=True)  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses={HOST} -c unix_socket_directories={self.data}"
        self._ctl("-o", options, "-l", str(self.data / "log"), "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def destroy(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass


class SharedPostgresDatabase:
    """A private database `load_<pid>` on the shared cluster, dropped at the end (never `test`)."""

    def __init__(self) -> None:
        self.name = f"load_{os.getpid()}"
        self.url = f"{SHARED_PG}/{self.name}"

    def _psql(self, sql: str) -> None:
        subprocess.run(["psql", "-h", HOST, "-U", "postgres", "-qc", sql], check=True, capture_output=True)

    def init(self) -> None:
        self._psql(f'create database "{self.name}"')

    def destroy(self) -> None:
        self._psql(f'drop database if exists "{self.name}" with (force)')


def wait_for(check, timeout: float, what: str) -> float:
    """Poll check() until true; the seconds it took. Bounded."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"{what} not ready after {timeout} s")
        time.sleep(0.1)
    return time.monotonic() - start


# Live clients -----------------------------------------------------------------------------------------


class LoadClient(LeanClient):
    """A lean live client that keeps every comment id of its room and, once dropped, reconnects and catches
    up from the API (as static/js/live.js does)."""

    def __init__(self, index, host, token, idea_id, stats, urls, record) -> None:
        super().__init__(index, host, token, idea_id, stats)
        self.urls, self.record = urls, record

    def _message(self, msg: bytes) -> None:
        if msg.startswith(b'42["comment_created"'):
            self.record["live"].append(json.loads(msg[2:])[1]["comment"]["id"])
            return
        if msg.startswith(b'42["resync"'):  # the server's queue was cut off for a while: catch up, as the page does
            self.record["resyncs"] += 1
            asyncio.get_running_loop().create_task(catch_up(self, self.urls[self.index % len(self.urls)]))
            return
        super()._message(msg)

    def connection_lost(self, exc: Exception | None) -> None:
        joined = self.joined.done() and self.joined.exception() is None  # a failed attempt: reconnect() retries
        super().connection_lost(exc)
        if joined and not self.record.get("closing"):
            self.record["reconnects"] += 1
            asyncio.get_running_loop().create_task(reconnect(self))


async def reconnect(old: LoadClient) -> None:
    """Try the servers in turn until one takes the client back; then catch up through the API."""
    loop = asyncio.get_running_loop()
    attempt = 0
    while not old.record.get("closing"):
        attempt += 1
        url = old.urls[(old.index + attempt) % len(old.urls)]
        host, port = url.removeprefix("http://").split(":")
        client = LoadClient(old.index, f"{host}:{port}", old.token, old.idea_id, old.stats, old.urls, old.record)
        try:
            await loop.create_connection(lambda c=client: c, host, int(port))
            await asyncio.wait_for(client.joined, 10)
        except (TimeoutError, OSError, ConnectionError):
            await asyncio.sleep(min(0.25 * attempt, 2))
            continue
        old.record["client"] = client
        await catch_up(client, url)
        old.record["back_at"].append(time.time())
        return


async def catch_up(client: LoadClient, url: str) -> None:
    """Fetch the room's comments from the API (retrying while the server cannot answer) and count them as got."""
    await asyncio.sleep(client.index % 20 * 0.1)  # spread the clients' requests over two seconds, as the page does
    loop = asyncio.get_running_loop()
    for _attempt in range(20):
        ids = await loop.run_in_executor(None, room_comment_ids, url, client.token, client.idea_id)
        if ids is not None:
            client.record["caught_up"].update(ids)
            return
        await asyncio.sleep(0.5)


def room_comment_ids(url: str, token: str, idea_id: int) -> list[int] | None:
    try:
        response = requests.get(
            f"{url}/api/v1/ideas/{idea_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
    except requests.RequestException:
        return None
    return [c["id"] for c in response.json()["comments"]] if response.status_code == 200 else None


async def _live(urls, tokens, rooms, first, count, ready, stop, results) -> None:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(25)
    records = []

    async def connect(index: int) -> None:
        url = urls[index % len(urls)]
        host, port = url.removeprefix("http://").split(":")
        record = {"room": rooms[index % len(rooms)], "live": [], "caught_up": set(), "back_at": []}
        record.update(reconnects=0, resyncs=0)
        records.append(record)
        token = tokens[index % len(tokens)]
        client = LoadClient(index, f"{host}:{port}", token, record["room"], Stats(), urls, record)
        record["client"] = client
        async with gate:
            await loop.create_connection(lambda: client, host, int(port))
            await asyncio.wait_for(client.joined, 60)

    try:
        await asyncio.gather(*(connect(first + i) for i in range(count)))
        ready.put(("ok", count))
    except Exception as exc:
        ready.put(("error", repr(exc)))
    while not stop.is_set():
        await asyncio.sleep(0.05)
    for record in records:
        record["closing"] = True
        record["client"].close()
    await asyncio.sleep(0.2)
    results.put([{k: (sorted(v) if isinstance(v, set) else v) for k, v in r.items() if k != "client"} for r in records])


def live_process(urls, tokens, rooms, first, count, ready, stop, results) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_live(urls, tokens, rooms, first, count, ready, stop, results))


# The load ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    expected_refusals: Counter = field(default_factory=Counter)
    posted: dict[str, tuple[int, int]] = field(default_factory=dict)  # body -> (room, comment id) when acked
    attempted: set[str] = field(default_factory=set)
    error_times: list[tuple[float, str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def done(self, kind: str, scheduled: float, ok: bool, what: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(time.time() - scheduled)
            if not ok:
                self.errors[kind][what] += 1
                self.error_times.append((time.time(), kind, what))


class Load:
    """The actors of each kind and what they do once per tick."""

    def __init__(self, urls, actors, rooms, outcome: Outcome) -> None:
        self.urls, self.actors, self.rooms, self.outcome = urls, actors, rooms, outcome
        self.sockets: list[socketio_client.Client] = []

    def open_sockets(self) -> None:
        for n, actor in enumerate(self.actors["socket_comment"]):
            client = socketio_client.Client(reconnection=True, reconnection_delay=0.25, reconnection_delay_max=2)
            client.connect(self.urls[n % 2], auth={"token": actor["token"]}, transports=["websocket"], wait_timeout=10)
            self.sockets.append(client)

    def tick(self, kind: str, n: int, scheduled: float) -> None:
        actors = self.actors.get(kind) or self.actors["limit_probe"]
        actor = actors[n % len(actors)]
        url = self.urls[n % len(self.urls)]
        room = self.rooms[n % len(self.rooms)]
        auth = {"Authorization": f"Bearer {actor['token']}"}
        try:
            if kind == "list_reader":
                r = actor["session"].get(f"{url}/?page={1 + n % 3}", timeout=15)
                return self.outcome.done(kind, scheduled, r.status_code == 200, str(r.status_code))
            if kind == "idea_reader":
                r = actor["session"].get(f"{url}/ideas/{room}", timeout=15)
                return self.outcome.done(kind, scheduled, r.status_code == 200, str(r.status_code))
            if kind == "searcher":
                r = actor["session"].get(f"{url}/api/v1/search", params={"q": "load"}, headers=auth, timeout=15)
                return self.outcome.done(kind, scheduled, r.status_code == 200, str(r.status_code))
            if kind in ("api_idea", "limit_probe"):
                body = {"title": f"Load idea {kind} {n}", "body": "Posted by the load", "category": 1}
                r = actor["session"].post(f"{url}/api/v1/ideas", json=body, headers=auth, timeout=15)
                if r.status_code == EXPECTED_REFUSALS.get(kind):
                    with self.outcome.lock:
                        self.outcome.expected_refusals[kind] += 1
                return self.outcome.done(
                    kind, scheduled, r.status_code in (201, EXPECTED_REFUSALS.get(kind)), str(r.status_code)
                )
            text = f"load {kind} {n}"
            self.outcome.attempted.add(text)
            if kind == "api_comment":
                r = actor["session"].post(
                    f"{url}/api/v1/ideas/{room}/comments", json={"body": text}, headers=auth, timeout=15
                )
                if r.status_code == 201:
                    self.outcome.posted[text] = (room, r.json()["id"])
                return self.outcome.done(kind, scheduled, r.status_code == 201, f"{r.status_code} {r.text[:80]}")
            if kind == "socket_comment":
                client = self.sockets[n % len(self.sockets)]
                ack = client.call("post_comment", {"idea_id": room, "body": text}, timeout=15)
                if ack and ack.get("ok"):
                    self.outcome.posted[text] = (room, ack["comment"]["id"])
                return self.outcome.done(kind, scheduled, bool(ack and ack.get("ok")), str(ack)[:80])
        except Exception as exc:  # a refused connection, a timeout: recorded as this kind's error
            self.outcome.done(kind, scheduled, False, type(exc).__name__)


def run_kind(load: Load, kind: str, rate: float, start: float, seconds: float, pool: ThreadPoolExecutor) -> None:
    n = 0
    while True:
        scheduled = start + n / rate
        if scheduled >= start + seconds:
            return
        delay = scheduled - time.time()
        if delay > 0:
            time.sleep(delay)
        pool.submit(load.tick, kind, n, scheduled)
        n += 1


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# Set-up, run, compare ---------------------------------------------------------------------------------


@dataclass
class Stack:
    """What a run stands on: the site (database, index, env), two servers, Redis, PostgreSQL."""

    site: Site
    redis: PrivateRedis
    postgres: PrivatePostgres | SharedPostgresDatabase
    ports: list[int]

    @property
    def urls(self) -> list[str]:
        return [f"http://{HOST}:{port}" for port in self.ports]

    def server_pgids(self) -> list[int]:
        return [s.process.pid for s in self.site.servers]


# One process for all the users (a `flask create-user` each would take minutes); argv[1] says how many.
CREATE_USERS = f"""
import sys
from forum import create_app
from forum.accounts import service
from forum.extensions import db
with create_app().app_context():
    for n in range(1, int(sys.argv[1]) + 1):
        service.create_user(f"user{{n}}@load.example", f"Load user {{n}}", "officer", "DIST", {PASSWORD!r})
    db.session.commit()
"""


def build(directory: Path, own_postgres: bool, users: int) -> Stack:
    redis = PrivateRedis(directory)
    redis.start()
    postgres = PrivatePostgres(directory) if own_postgres else SharedPostgresDatabase()
    postgres.init()
    site = Site(
        directory / "site",
        queue=redis.url,
        extra_env={
            "DATABASE_URL": postgres.url,
            "RATELIMIT_ENABLED": "true",
            "RATELIMIT_STORAGE_URI": redis.url,
            "SEARCH_INDEX_DIR": str(directory / "index"),
        },
    )
    site.create({"user0@load.example": ("Load user 0", "officer")})
    subprocess.run([sys.executable, "-c", CREATE_USERS, str(users)], cwd=ROOT, env=site.env, check=True, timeout=300)
    stack = Stack(site, redis, postgres, [free_port(), free_port()])
    for port in stack.ports:
        site.start(port=port)
    return stack


def scaled(scale: float) -> tuple[dict[str, float], dict[str, int]]:
    """The rates and the number of users of each kind at this scale (the limit probe stays as it is)."""
    rates = {kind: rate if kind in EXPECTED_REFUSALS else rate * scale for kind, rate in RATES.items()}
    return rates, {kind: max(1, math.ceil(count * scale)) for kind, count in ACTORS.items()}


def make_actors(urls: list[str], scale: float = 1.0) -> dict[str, list[dict]]:
    """Each actor: an address 127.0.0.N, a session (logged in for page readers) and an API token."""
    actors: dict[str, list[dict]] = {}
    n = 0
    for kind, count in {**scaled(scale)[1], "limit_probe": 1}.items():
        actors[kind] = []
        for _ in range(count):
            n += 1
            address = f"127.0.0.{n + 1}"
            session = session_from(address)
            email = f"user{n}@load.example"
            token = session.post(f"{urls[0]}/api/v1/auth/token", json={"email": email, "password": PASSWORD},
                                 timeout=15).json()["token"]  # fmt: skip
            if kind.endswith("reader"):
                page = session.get(f"{urls[n % 2]}/login", timeout=15).text
                csrf = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
                session.post(f"{urls[n % 2]}/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf},
                             timeout=15)  # fmt: skip
            actors[kind].append({"address": address, "session": session, "token": token})
    return actors


def run(opts, during=None) -> dict:
    """Build the stack, run the load (calling during(stack, outcome, start) in a thread if given), compare."""
    directory = Path(tempfile.mkdtemp(prefix="psi-load-"))
    stack = None
    live_procs: list[mp.Process] = []
    stop = mp.Event()
    try:
        # Every simulated user (and the limit probe) signs in as user1.. in make_actors' order.
        stack = build(directory, opts.own_postgres, sum(scaled(opts.scale)[1].values()) + 1)
        urls = stack.urls
        actors = make_actors(urls, opts.scale)
        owner = actors["api_idea"][0]
        rooms = []
        for r in range(opts.rooms):
            created = owner["session"].post(
                f"{urls[0]}/api/v1/ideas",
                json={"title": f"Load room {r}", "body": "A room of the load", "category": 1},
                headers={"Authorization": f"Bearer {owner['token']}"},
                timeout=15,
            )
            rooms.append(created.json()["id"])
        live_tokens = [a["token"] for a in actors["searcher"]]
        ready, results = mp.Queue(), mp.Queue()
        per = [opts.clients // opts.client_processes] * opts.client_processes
        per[-1] += opts.clients - sum(per)
        first = 0
        for count in per:
            proc = mp.Process(target=live_process, args=(urls, live_tokens, rooms, first, count, ready, stop, results))
            proc.start()
            live_procs.append(proc)
            first += count
        for _ in live_procs:
            state, detail = ready.get(timeout=180)
            if state != "ok":
                raise RuntimeError(f"live clients failed to join: {detail}")
        outcome = Outcome()
        load = Load(urls, actors, rooms, outcome)
        load.open_sockets()
        load_before = os.getloadavg()
        cpu_before = [group_cpu([pgid]) for pgid in stack.server_pgids()]
        start = time.time() + 0.5
        pool = ThreadPoolExecutor(max_workers=48)
        threads = [
            threading.Thread(target=run_kind, args=(load, kind, rate, start, opts.seconds, pool), daemon=True)
            for kind, rate in scaled(opts.scale)[0].items()
        ]
        for thread in threads:
            thread.start()
        faults = []
        if during is not None:
            fault_thread = threading.Thread(target=lambda: faults.extend(during(stack, outcome, start, opts.seconds)))
            fault_thread.start()
        for thread in threads:
            thread.join()
        pool.shutdown(wait=True)
        if during is not None:
            fault_thread.join()
        elapsed = time.time() - start
        cpu_after = [group_cpu([pgid]) for pgid in stack.server_pgids()]
        load_after = os.getloadavg()
        time.sleep(3)  # late deliveries and the search outbox
        stop.set()
        records = []
        for _ in live_procs:
            records += results.get(timeout=60)
        for client in load.sockets:
            client.disconnect()
        report = compare(stack, outcome, rooms, records, actors)
        report.update(
            elapsed=elapsed, outcome=outcome, faults=faults, load=(load_before, load_after),
            cpu=[(a - b) / elapsed for a, b in zip(cpu_after, cpu_before, strict=True)] if not faults else None,
        )  # fmt: skip
        print_report(report, opts)
        if any(what.startswith("500") for _, _, what in outcome.error_times):
            print_server_tracebacks(directory)
        return report
    finally:
        stop.set()
        for proc in live_procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
        if stack is not None:
            stack.site.stop()
            stack.redis.stop()
            stack.postgres.destroy()
        if opts.keep:
            print(f"kept: {directory} (server logs under site/)")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def print_server_tracebacks(directory: Path, most: int = 3) -> None:
    """A 500 is a bug to find: print the last few tracebacks from the servers' logs (kept only until the end)."""
    for log in sorted(directory.glob("site/*.log")):
        blocks = log.read_text(errors="replace").split("Traceback (most recent call last):")[1:]
        for block in blocks[-most:]:
            print(f"--- traceback in {log.name} ---\nTraceback (most recent call last):{block[:3000]}")


def compare(stack: Stack, outcome: Outcome, rooms: list[int], records: list[dict], actors) -> dict:
    token = actors["searcher"][0]["token"]
    in_db: dict[int, list[tuple[int, str]]] = {}
    for room in rooms:
        r = requests.get(f"{stack.urls[0]}/api/v1/ideas/{room}", headers={"Authorization": f"Bearer {token}"},
                         timeout=30)  # fmt: skip
        in_db[room] = [(c["id"], c["body"]) for c in r.json()["comments"]]
    bodies = Counter(body for comments in in_db.values() for _, body in comments)
    ids = {cid for comments in in_db.values() for cid, _ in comments}
    lost = [body for body, (_, cid) in outcome.posted.items() if cid not in ids]
    duplicated = [body for body, count in bodies.items() if count > 1]
    unacked_saved = [body for body in outcome.attempted - outcome.posted.keys() if body in bodies]
    missing_events = dup_events = 0
    for record in records:
        expected = {cid for cid, _ in in_db[record["room"]]}
        got = set(record["live"]) | set(record["caught_up"])
        missing_events += len(expected - got)
        dup_events += len(record["live"]) - len(set(record["live"]))
    check = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        check = stack.site.flask("search", "check", "--no-repair")
        if "Missing from the index: 0" in check and "Stale in the index: 0" in check:
            break
        time.sleep(1)
    return {
        "comments_in_db": len(ids),
        "acked": len(outcome.posted),
        "lost": lost,
        "duplicated": duplicated,
        "saved_without_ack": unacked_saved,
        "clients": len(records),
        "missing_events": missing_events,
        "duplicate_events": dup_events,
        "reconnects": sum(r["reconnects"] for r in records),
        "resyncs": sum(r["resyncs"] for r in records),
        "search_check": " / ".join(line for line in check.splitlines() if line.strip()),
    }


def print_report(report: dict, opts) -> None:
    outcome: Outcome = report["outcome"]
    print(f"\nmixed load, {report['elapsed']:.0f} s, 2 gunicorn processes, PostgreSQL + Redis, {opts.clients} "
          f"live clients in {opts.rooms} rooms")  # fmt: skip
    print(f"{'kind':16} {'rate/s':>7} {'done':>6} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} errors")
    for kind, rate in scaled(opts.scale)[0].items():
        lat = outcome.latencies.get(kind, [])
        errors = dict(outcome.errors.get(kind, {}))
        expected = outcome.expected_refusals.get(kind, 0)
        note = f"{expected} x {EXPECTED_REFUSALS[kind]} provoked" if kind in EXPECTED_REFUSALS else ""
        print(f"{kind:16} {rate:7.1f} {len(lat):6d} {len(lat) / report['elapsed']:7.1f} "
              f"{percentile(lat, 50) * 1000:8.0f} {percentile(lat, 99) * 1000:8.0f} "
              f"{sum(errors.values())} {errors if errors else ''} {note}")  # fmt: skip
    if report["cpu"]:
        print("server CPU busy share: " + ", ".join(f"process {n + 1} {c:.0%}" for n, c in enumerate(report["cpu"])))
    before, after = report["load"]
    print(f"load average: {before[0]:.2f} before, {after[0]:.2f} after")
    for fault in report["faults"]:
        print("fault: " + fault)
    print(f"comments: {report['acked']} acknowledged, {report['comments_in_db']} in the database, "
          f"lost {len(report['lost'])}, duplicated {len(report['duplicated'])}, "
          f"saved without an acknowledgement {len(report['saved_without_ack'])}")  # fmt: skip
    print(f"live clients: {report['clients']}, events missing {report['missing_events']}, duplicated "
          f"{report['duplicate_events']}, reconnects {report['reconnects']}, resyncs {report['resyncs']}")  # fmt: skip
    print(f"search index: {report['search_check']}")


def verdict(report: dict, allowed_errors: bool = False) -> bool:
    """True when nothing was lost or duplicated and every error was one the load set out to provoke."""
    unexpected = 0 if allowed_errors else sum(sum(c.values()) for k, c in report["outcome"].errors.items())
    clean = (
        not report["lost"]
        and not report["duplicated"]
        and report["missing_events"] == 0
        and report["duplicate_events"] == 0
        and "Missing from the index: 0" in report["search_check"]
        and "Stale in the index: 0" in report["search_check"]
    )
    print("RESULT: " + ("PASS" if clean and unexpected == 0 else "FAIL"))
    return clean and unexpected == 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rooms", type=int, default=4)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--own-postgres", action="store_true", help="a throwaway cluster (initdb) on a free port")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (server logs) at the end")
    parser.add_argument("--scale", type=float, default=3.0, help="rates and users of every kind times this")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    opts = parse_args(argv)
    report = run(opts)
    return 0 if verdict(report) else 1


if __name__ == "__main__":
    sys.exit(main())

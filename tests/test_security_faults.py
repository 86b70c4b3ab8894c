"""Faults under load, in the suite (make test-server, so .ci/run): bench/fault.py at a small scale must pass.

It kills one of two server processes with kill -9, stops its own Redis and its own PostgreSQL cluster for a
few seconds each, during a mixed load with 20 live clients, and then finds no comment lost or duplicated, no
event missed by any client (after its reconnect or resync), the index in agreement with the database, and no
error but retryable ones. The shared PostgreSQL and Redis are never touched.
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[1]


def test_a_killed_server_and_stopped_redis_and_postgresql_lose_nothing_under_load():
    result = subprocess.run(
        [sys.executable, "bench/fault.py", "--seconds", "30", "--clients", "20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0 and "FAULTS: PASS" in result.stdout, report

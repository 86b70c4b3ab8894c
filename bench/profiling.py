"""py-spy for the benchmarks: record a server process's stacks while a window is measured.

Raw collapsed stacks (one "frame;frame;... count" line each), sampled 200 times a second; py-spy
writes its file when stopped with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def record(pid: int, out: str | Path, by_function: bool = False) -> subprocess.Popen:
    """Start py-spy recording process `pid` into `out` (frames per function rather than per line if asked)."""
    py_spy = str(Path(sys.executable).parent / "py-spy")
    options = ["--function"] if by_function else []
    return subprocess.Popen(
        [py_spy, "record", *options, "--format", "raw", "--rate", "200", "-o", str(out), "-p", str(pid)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(profilers: Iterable[subprocess.Popen]) -> None:
    """Stop the recorders and wait for their files (at most 30 s each)."""
    profilers = list(profilers)
    for proc in profilers:
        proc.send_signal(signal.SIGINT)
    for proc in profilers:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

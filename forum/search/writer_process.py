"""The search index's writes in a process of their own, for a server whose event loop must not wait on them.

A Whoosh commit is pure Python: 10-200 ms for a batch of posts, longer when segments merge. In the
gevent server's own process it held the interpreter that long (as a greenlet, the whole loop; in a
native thread, every other switch interval), so posts and deliveries queued behind it. Here the
indexer greenlet sends the batch as one JSON line to a child process and waits for the answer on a
cooperative pipe; the loop runs meanwhile. The child inherits nothing but the index directory, holds
no database connection, and exits when the pipe closes (the server stopped or restarted).

    python -m forum.search.writer_process   # reads requests on stdin, one JSON answer per line on stdout

A request: {"index_dir", "timeout", "docs", "removed", "removed_ideas"}; the answer: {"ok": true} or
{"ok": false, "error": "..."}. The caller holds the index's sync lock (index.syncing) throughout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

from forum.search import index

# The directory that holds the forum package: the child imports it from there. Its cwd stays the server's, so
# a relative SEARCH_INDEX_DIR names the same folder in both.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class WriterProcessError(RuntimeError):
    """The child could not write the batch, or is gone (the next write starts a new one)."""


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to the index writer")


def _decode_doc(doc: dict) -> dict:
    if isinstance(doc.get("created"), str):
        doc["created"] = datetime.fromisoformat(doc["created"])
    return doc


class WriterProcess:
    """One child process that writes batches to the index, started on first use and again after it died."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()  # one batch at a time (a gevent lock once patched)

    def write(
        self, index_dir: str, docs: list[dict], removed: list[str], removed_ideas: list[int], timeout: float
    ) -> None:
        """Remove, then add or replace documents, in one commit made by the child; raises WriterProcessError."""
        request = {
            "index_dir": index_dir,
            "timeout": timeout,
            "docs": docs,
            "removed": removed,
            "removed_ideas": removed_ideas,
        }
        line = json.dumps(request, default=_encode) + "\n"
        with self._lock:
            proc = self._running()
            try:
                proc.stdin.write(line)
                proc.stdin.flush()
                answer = proc.stdout.readline()
            except OSError as exc:
                self._stop()
                raise WriterProcessError(f"search index writer gone: {exc}") from exc
            if not answer:
                self._stop()
                raise WriterProcessError("search index writer exited")
        result = json.loads(answer)
        if not result.get("ok"):
            raise WriterProcessError(result.get("error") or "search index write failed")

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the child now if none runs (else the next write starts it)."""
        with self._lock:
            self._running()

    def _running(self) -> subprocess.Popen:
        if self._proc is not None and self._proc.poll() is not None:
            self._stop(kill=False)  # died since the last batch: its pipes go, a new child comes
        if self._proc is None:
            path = os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "forum.search.writer_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": path},
            )
        return self._proc

    def _stop(self, kill: bool = True) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if kill:
            proc.kill()
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()  # closing its input is what ends a live child's loop
            except OSError:  # a dead child's input cannot take what was buffered for it
                pass
        proc.wait(timeout=10)

    def close(self) -> None:
        """End the child (it also ends by itself when this process exits and the pipe closes)."""
        with self._lock:
            self._stop(kill=False)


def serve(requests=sys.stdin, answers=sys.stdout) -> None:
    """The child's loop: one request line in, one answer line out, until the input closes."""
    for line in requests:
        try:
            request = json.loads(line)
            index.write(
                request["index_dir"],
                [_decode_doc(doc) for doc in request["docs"]],
                request["removed"],
                request["removed_ideas"],
                timeout=float(request["timeout"]),
            )
            answer = {"ok": True}
        except Exception as exc:  # the parent logs it and keeps the outbox rows for the next drain
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()

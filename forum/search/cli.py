"""`flask search reindex`, `flask search check` and `flask search sync` (on the search blueprint's CLI group)."""

import time

import click
import sqlalchemy.orm as so
from flask import current_app

from forum.extensions import db
from forum.search import documents, worker


class _Progress:
    """Feeds worker.rebuild's progress into a click progress bar showing posts/s and the time left."""

    def __init__(self, bar):
        self.bar, self.done, self.started = bar, 0, time.perf_counter()

    def __call__(self, n: int) -> None:
        self.done += n
        self.bar.update(n)

    def rate(self) -> str:
        elapsed = time.perf_counter() - self.started
        return f"{self.done / elapsed:,.0f} posts/s" if elapsed > 0 and self.done else ""


@click.command("reindex")
@click.option("--procs", default=2, show_default=True, help="Indexing processes.")
@click.option("--if-needed", is_flag=True, help="Only if the index was replaced because its layout changed.")
def reindex(procs: int, if_needed: bool) -> None:
    """Rebuild the search index from the database, from scratch, with a progress bar."""
    app = current_app._get_current_object()
    with so.Session(db.engine) as session:
        total = documents.document_count(session)
    progress = None
    with click.progressbar(
        length=max(total, 1),
        label=f"Indexing {total:,} posts",
        show_eta=True,
        show_percent=True,
        item_show_func=lambda _item: progress.rate() if progress else "",
    ) as bar:
        progress = _Progress(bar)
        count, elapsed = worker.rebuild(app, procs=max(1, procs), only_if_needed=if_needed, progress=progress)
    rate = count / elapsed if elapsed else 0
    click.echo(f"Indexed {count} documents in {elapsed:.1f} s ({rate:.0f}/s).")


@click.command("check")
@click.option("--repair/--no-repair", default=True, show_default=True, help="Fix the drift found.")
def check(repair: bool) -> None:
    """Compare the search index with the database, content included; report and (by default) repair drift."""
    found = worker.check(current_app._get_current_object(), repair=repair)
    missing, stale, outdated = found["missing"], found["stale"], found["outdated"]
    click.echo(f"Missing from the index: {len(missing)}" + (f" ({', '.join(missing[:10])}...)" if missing else ""))
    click.echo(f"Stale in the index: {len(stale)}" + (f" ({', '.join(stale[:10])}...)" if stale else ""))
    click.echo(
        f"Outdated in the index (edited since indexed): {len(outdated)}"
        + (f" ({', '.join(outdated[:10])}...)" if outdated else "")
    )
    if not (missing or stale or outdated):
        click.echo("The index agrees with the database.")
    elif repair:
        click.echo("Repaired: the index now agrees with the database.")
    else:
        raise SystemExit(1)  # drift found and left: a non-zero status for monitoring


@click.command("sync")
def sync() -> None:
    """Index every change still waiting in the outbox (after a crash, or with no server running)."""
    n = worker.drain(current_app._get_current_object())
    click.echo(f"Indexed {n} pending changes.")


COMMANDS = (reindex, check, sync)

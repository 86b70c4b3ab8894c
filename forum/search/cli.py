"""`flask search reindex` and `flask search sync` (added to the search blueprint's CLI group)."""

import time
from datetime import timedelta

import click
import sqlalchemy.orm as so
from flask import current_app

from forum.extensions import db
from forum.models import utcnow
from forum.search import index, service, worker

# Posts saved while a rebuild reads the database are indexed again afterwards; the margin
# covers changes stamped before they committed.
CATCH_UP_MARGIN = timedelta(minutes=2)


@click.command("reindex")
@click.option("--procs", default=2, show_default=True, help="Indexing processes.")
def reindex(procs: int) -> None:
    """Rebuild the search index from the database, from scratch."""
    app = current_app._get_current_object()
    started, clock = utcnow(), time.perf_counter()
    with so.Session(db.engine) as session:
        count = index.rebuild(
            service.all_documents(session), app.config["SEARCH_INDEX_DIR"], procs=max(1, procs), limitmb=256
        )
    elapsed = time.perf_counter() - clock
    # Changes drained into the old index while the new one was built are in no outbox row any more.
    with so.Session(db.engine) as session, session.begin():
        service.requeue_changed_since(session, started - CATCH_UP_MARGIN)
    worker.drain(app)
    rate = count / elapsed if elapsed else 0
    click.echo(f"Indexed {count} documents in {elapsed:.1f} s ({rate:.0f}/s).")


@click.command("sync")
def sync() -> None:
    """Index every change still waiting in the outbox (after a crash, or with no server running)."""
    n = worker.drain(current_app._get_current_object())
    click.echo(f"Indexed {n} pending changes.")


COMMANDS = (reindex, sync)

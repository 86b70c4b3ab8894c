"""`flask search reindex` and `flask search sync` (added to the search blueprint's CLI group)."""

import click
from flask import current_app

from forum.search import worker


@click.command("reindex")
@click.option("--procs", default=2, show_default=True, help="Indexing processes.")
@click.option("--if-needed", is_flag=True, help="Only if the index was replaced because its layout changed.")
def reindex(procs: int, if_needed: bool) -> None:
    """Rebuild the search index from the database, from scratch."""
    app = current_app._get_current_object()
    count, elapsed = worker.rebuild(app, procs=max(1, procs), only_if_needed=if_needed)
    rate = count / elapsed if elapsed else 0
    click.echo(f"Indexed {count} documents in {elapsed:.1f} s ({rate:.0f}/s).")


@click.command("sync")
def sync() -> None:
    """Index every change still waiting in the outbox (after a crash, or with no server running)."""
    n = worker.drain(current_app._get_current_object())
    click.echo(f"Indexed {n} pending changes.")


COMMANDS = (reindex, sync)

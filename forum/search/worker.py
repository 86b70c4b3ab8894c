"""Drains the search outbox into the index (filled in by the search feature)."""


def wake() -> None:
    """Ask the indexer to process the outbox soon."""

"""API search route (filled in by the search feature)."""

"""API follow-up routes (filled in by the follow-up feature)."""

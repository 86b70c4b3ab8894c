"""Socket.IO handlers of the default namespace (filled in by the live feature)."""

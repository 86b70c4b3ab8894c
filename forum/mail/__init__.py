"""Email: an outbox written with each change, a background sender, digests and preferences."""

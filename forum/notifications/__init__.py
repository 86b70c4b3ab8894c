"""Notifications: stored for later, pushed live when the user is connected."""

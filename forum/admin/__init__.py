"""Admin: manage users, offices and categories."""

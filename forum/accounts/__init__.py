"""Accounts: users, roles, offices, sessions and API tokens."""

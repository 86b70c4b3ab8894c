"""Mentions: @-naming people in ideas and comments, and the people-suggest endpoint behind the composer."""

"""Search: a Whoosh index of ideas and comments, kept in step with the database."""

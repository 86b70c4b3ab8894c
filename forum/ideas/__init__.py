"""Ideas: posting, threaded comments, endorsements and follows."""

"""Follow-up: flags on ideas nobody senior has answered, escalated up the office tree."""

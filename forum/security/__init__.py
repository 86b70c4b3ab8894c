"""Safe defaults: the signing key, security headers, session lifetimes, password rules, request logs."""

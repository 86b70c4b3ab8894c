"""Liveness probe: a bare endpoint for load balancers and the page benchmark."""

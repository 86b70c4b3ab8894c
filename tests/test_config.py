"""Configuration that changes how requests are read."""

from flask import request

from forum import create_app


def _remote_addr_seen(app_config: dict, **overrides) -> str:
    app = create_app({**app_config, **overrides})

    @app.get("/_whoami")
    def whoami():
        return request.remote_addr or ""

    response = app.test_client().get(
        "/_whoami", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    return response.get_data(as_text=True)


def test_forwarded_for_is_ignored_without_a_trusted_proxy(app_config):
    assert _remote_addr_seen(app_config) == "10.0.0.1"


def test_forwarded_for_is_trusted_behind_a_configured_proxy(app_config):
    assert _remote_addr_seen(app_config, PROXY_FIX_X_FOR=1) == "203.0.113.7"

"""Static files: fingerprinted URLs cached for a year with no Vary: Cookie; pages and scripts compressed."""

import re


def test_pages_link_fingerprinted_static_files_that_are_cached_for_a_year(client, auth, world):
    auth.login("officer@x.gov")
    html = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{12})"', html)
    assert any("forum.css" in url for url in urls) and any("ui.js" in url for url in urls)
    for url in urls:
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert "cookie" not in response.headers.get("Vary", "").lower()


def test_a_changed_file_gets_a_new_url(app):
    with app.test_request_context("/"):
        asset = app.jinja_env.globals["asset"]
        assert asset("css/forum.css") != asset("js/ui.js")
        assert asset("css/forum.css") == asset("css/forum.css")


def test_pages_and_scripts_are_compressed_for_browsers_that_accept_it(client, auth, world):
    auth.login("officer@x.gov")
    page = client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert page.headers.get("Content-Encoding") in ("br", "gzip")
    with client.get("/static/js/live.js", headers={"Accept-Encoding": "gzip"}) as script:
        assert script.headers.get("Content-Encoding") == "gzip"

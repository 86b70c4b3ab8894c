"""Fixtures every browser test file shares."""

import pytest

from tests.browser.helpers import launch


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright  # only the browser runs need Playwright loaded

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()

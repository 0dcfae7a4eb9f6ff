"""Fixtures of the website's browser test: the built site (`make site`) served from 127.0.0.1 and
one headless Chromium (Debian's, as in tests/browser/) that may reach nothing else.

The tests need the built site. `make site-test` (CI, after `make site`) requires it
(AEUTILS_SITE_REQUIRED=1: a missing site fails), and so does asking for them (`pytest tests/site`,
`-m site`). A whole-suite run (`make test`) skips them with the reason: the site is built from the
lectures that very run executes, so it comes after it (CI: make test, make site, make site-test).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("AEUTILS_SITE", REPO / "build" / "site"))
SCREENSHOTS = REPO / "build" / "screenshots"
#: the launch flags of tests/browser/conftest.py (PITFALLS: Debian's chromium, headless)
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    mine = [item for item in items if Path(str(item.fspath)).is_relative_to(here)]
    for item in mine:
        item.add_marker(pytest.mark.site)
    asked = (os.environ.get("AEUTILS_SITE_REQUIRED") == "1"
             or "site" in (config.option.markexpr or "")
             or any(Path(arg.split("::")[0]).resolve().is_relative_to(here) for arg in config.args))
    if asked:
        return
    skip = pytest.mark.skip(reason="the built website's tests run after `make site`: "
                                   "`make site-test` (or `pytest tests/site`)")
    for item in mine:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make site` first", pytrace=False)
    return SITE


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(site) -> Iterator[str]:
    """The site over HTTP on a free port of 127.0.0.1 (a thread of this process)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(site_url) -> Iterator[object]:
    chromium = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    if not chromium.is_file():
        pytest.fail(f"Chromium not found at {chromium}: run tools/install_browser.sh (never "
                    "'playwright install')", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

"""A student in Chromium on a JupyterHub: log in, then fetch and submit in the Assignments tab.

Used by the hub end-to-end test (tests/hub). The browser is the browser suite's: Debian's
Chromium with the same command-line flags (``conftest.CHROMIUM_ARGS``, ``chromium_path()``),
driven by Python Playwright. Everything runs in a thread of its own: Playwright's sync API refuses
to start where an event loop is already running, and the browser suite's session leaves one in
the test thread when the whole suite runs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The Assignments tab of nbgrader 0.9's lab extension (command and element ids from its bundle).
ASSIGNMENT_LIST_COMMAND = "nbgrader:open-assignment-list"
TIMEOUT_MS = 90_000  # a busy 2-core machine: the first JupyterLab load can take half a minute


def _browser_conftest():
    """tests/browser/conftest.py as a module (its Chromium path and flags), not as a plugin."""
    name = "_aeutils_browser_conftest"
    if name not in sys.modules:
        if str(HERE) not in sys.path:
            sys.path.insert(0, str(HERE))  # conftest imports jlab
        spec = importlib.util.spec_from_file_location(name, HERE / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


def why_no_browser() -> str | None:
    """The reason the browser step cannot run here, or None."""
    browser = _browser_conftest()
    if os.environ.get(browser.SKIP_ENV) == "1":
        return f"{browser.SKIP_ENV}=1: browser step skipped on purpose"
    chromium = browser.chromium_path()
    if not (chromium.is_file() and os.access(chromium, os.X_OK)):
        return (f"Chromium not found at {chromium}: run tools/install_browser.sh (as root) or set "
                "CHROMIUM=/path/to/chromium")
    if importlib.util.find_spec("playwright") is None:
        return "Python Playwright is not installed (pip install -e '.[dev]')"
    return None


def screenshot_dir() -> Path:
    """The browser suite's screenshot folder (build/screenshots)."""
    folder = _browser_conftest().SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fetch_edit_submit(hub_url: str, user: str, password: str, assignment: str,
                      edit: Callable[[], None], shot_prefix: str = "hub") -> list[Path]:
    """Log ``user`` in at ``hub_url``, fetch ``assignment`` in the Assignments tab, call
    ``edit()`` (changes the fetched notebook), submit it and see it listed as submitted.

    Raises AssertionError (with what the page showed) when a step does not happen. Returns the
    screenshots taken, one per step, in :func:`screenshot_dir`.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-browser") as pool:
        return pool.submit(_student_session, hub_url, user, password, assignment, edit,
                           shot_prefix).result()


def _student_session(hub_url: str, user: str, password: str, assignment: str,
                     edit: Callable[[], None], shot_prefix: str) -> list[Path]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    browser_cfg = _browser_conftest()
    shots: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(browser_cfg.chromium_path()),
                                    headless=True, args=browser_cfg.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page.set_default_timeout(TIMEOUT_MS)

        def shot(step: str) -> None:
            path = screenshot_dir() / f"{shot_prefix}_{len(shots) + 1:02d}_{step}.png"
            page.screenshot(path=str(path))
            shots.append(path)

        def fail(what: str) -> AssertionError:
            try:
                shot("FAILED")
                text = page.locator("body").inner_text(timeout=5_000)[-1500:]
            except PlaywrightError as error:
                text = f"(page unreadable: {error})"
            return AssertionError(f"{what}; page {page.url} shows:\n{text}")

        def expect(locator, what: str, **wait) -> None:
            """Wait for ``locator``; if it never appears, fail saying ``what`` went wrong."""
            try:
                locator.wait_for(**wait)
            except PlaywrightError:
                raise fail(what) from None

        try:
            # 1. the hub's login form, filled in as a student does
            page.goto(f"{hub_url}/hub/login")
            page.locator("#username_input").fill(user)
            page.locator("#password_input").fill(password)
            shot("login")
            page.locator("#login_submit").click()
            # 2. JupyterLab on the student's own server
            try:
                page.wait_for_url(f"**/user/{user}/lab**")
                page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").wait_for()
            except PlaywrightError:
                raise fail(f"{user} did not land in JupyterLab with an Nbgrader menu") from None
            shot("jupyterlab")
            # 3. Nbgrader > Assignment List opens the "Assignments" tab, which lists the release
            page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").click()
            entry = page.locator(f"li[data-command='{ASSIGNMENT_LIST_COMMAND}']")
            expect(entry, "the Nbgrader menu has no 'Assignment List' entry", timeout=15_000)
            entry.click()
            expect(page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current "
                                ".lm-TabBar-tabLabel:text-is('Assignments')"),
                   "Assignment List did not open an 'Assignments' tab")
            released = _row(page, "released", assignment)
            expect(released, f"{assignment} is not listed under Released assignments")
            shot("released")
            # 4. Fetch: it moves to the fetched list (and the student's home folder)
            released.get_by_role("button", name="Fetch", exact=True).click()
            fetched = _row(page, "fetched", assignment)
            expect(fetched, f"{assignment} did not appear under Downloaded assignments")
            shot("fetched")
            # 5. the student works on the notebook, then 6. Submit
            edit()
            fetched.get_by_role("button", name="Submit", exact=True).click()
            submitted = _row(page, "submitted", assignment)
            try:
                submitted.wait_for()
                # one submission row under the assignment, with its timestamp
                submitted.locator(".assignment-notebooks .list_item .item_name").first.wait_for()
            except PlaywrightError:
                raise fail(f"{assignment} did not appear under Submitted assignments") from None
            shot("submitted")
        finally:
            browser.close()
    return shots


def _row(page, status: str, assignment: str):
    """The row of ``assignment`` in one of the tab's lists (released, fetched, submitted)."""
    name = page.locator(".item_name", has_text=re.compile(rf"^\s*{re.escape(assignment)}\s*$"))
    return page.locator(f"#{status}_assignments_list > .list_item").filter(has=name).first

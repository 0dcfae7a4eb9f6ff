"""People in Chromium on a JupyterHub: a student fetches and submits in the Assignments tab; the
instructor and a TA grade written answers by hand in the Formgrader tab of the course's grading
server and read the LMS export there.

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
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Commands of nbgrader 0.9's lab extension (from its bundle): the Assignments and Formgrader tabs.
ASSIGNMENT_LIST_COMMAND = "nbgrader:open-assignment-list"
FORMGRADER_COMMAND = "nbgrader:open-formgrader"
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


def _in_browser(fn, *args):
    """``fn(browser, *args)`` with the browser suite's Chromium, in a thread of its own."""
    def run():
        from playwright.sync_api import sync_playwright

        browser_cfg = _browser_conftest()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(browser_cfg.chromium_path()),
                                        headless=True, args=browser_cfg.CHROMIUM_ARGS)
            try:
                return fn(browser, *args)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-browser") as pool:
        return pool.submit(run).result()


class _Session:
    """One person's page in a fresh browser context: screenshots, failures that say what the
    page showed, and the hub's login form."""

    def __init__(self, browser, hub_url: str, prefix: str, shots: list[Path]) -> None:
        from playwright.sync_api import Error as PlaywrightError

        self.error = PlaywrightError
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           device_scale_factor=1)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.hub_url, self.prefix, self.shots = hub_url, prefix, shots

    def shot(self, step: str, page=None) -> None:
        path = screenshot_dir() / f"{self.prefix}_{len(self.shots) + 1:02d}_{step}.png"
        (page or self.page).screenshot(path=str(path))
        self.shots.append(path)

    def fail(self, what: str) -> AssertionError:
        try:
            self.shot("FAILED")
            text = self.page.locator("body").inner_text(timeout=5_000)[-1500:]
        except self.error as error:
            text = f"(page unreadable: {error})"
        return AssertionError(f"{what}; page {self.page.url} shows:\n{text}")

    def expect(self, locator, what: str, **wait) -> None:
        """Wait for ``locator``; if it never appears, fail saying ``what`` went wrong."""
        try:
            locator.wait_for(**wait)
        except self.error:
            raise self.fail(what) from None

    def log_in(self, user: str, password: str, lands: str, open_path: str | None = None) -> None:
        """Fill in the hub's login form; wait for JupyterLab (with its Nbgrader menu) at ``lands``
        (a URL path: the student's own server, or the course's grading service), with the file
        ``open_path`` (relative to the server's root) open when given."""
        page = self.page
        target = f"{lands}/lab" + (f"/tree/{open_path}" if open_path else "")
        page.goto(f"{self.hub_url}/hub/login?next={urllib.parse.quote(target)}")
        page.locator("#username_input").fill(user)
        page.locator("#password_input").fill(password)
        self.shot("login")
        page.locator("#login_submit").click()
        try:
            page.wait_for_url(f"**{lands}/lab**")
            page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").wait_for()
        except self.error:
            raise self.fail(f"{user} did not land in JupyterLab at {lands} with an Nbgrader "
                            "menu") from None

    def menu(self, command: str, label: str) -> None:
        """Nbgrader > ``label`` (the menu entry of ``command``)."""
        self.page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").click()
        entry = self.page.locator(f"li[data-command='{command}']")
        self.expect(entry, f"the Nbgrader menu has no '{label}' entry", timeout=15_000)
        entry.click()

    def current_tab(self, label: str) -> None:
        self.expect(self.page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current "
                                      f".lm-TabBar-tabLabel:text-is('{label}')"),
                    f"no '{label}' tab opened")

    def open_in_editor(self, name: str) -> None:
        """Open the file ``name`` of the server's root folder as plain text: in JupyterLab's file
        browser (it lists a new file within its polling interval), right click > Open With >
        Editor. Tried three times: on a loaded machine the listing may re-render under the
        pointer."""
        page = self.page
        item = page.locator("#filebrowser .jp-DirListing-item").filter(
            has=page.locator(".jp-DirListing-itemText",
                             has_text=re.compile(rf"^\s*{re.escape(name)}\s*$")))
        for attempt in range(3):
            try:
                page.locator("#filebrowser .jp-BreadCrumbs-home").click(timeout=30_000)
                item.wait_for(timeout=30_000)
                item.click(button="right", timeout=30_000)
                page.locator("li.lm-Menu-item[data-type='submenu']",
                             has_text="Open With").click(timeout=15_000)
                page.get_by_role("menuitem", name="Editor", exact=True).click(timeout=15_000)
                return
            except self.error:
                page.keyboard.press("Escape")  # close a menu left open
                if attempt == 2:
                    raise self.fail(f"could not open {name} with Open With > Editor") from None

    def close(self) -> None:
        self.context.close()


def fetch_edit_submit(hub_url: str, user: str, password: str, assignment: str,
                      edit: Callable[[], None], shot_prefix: str = "hub") -> list[Path]:
    """Log ``user`` in at ``hub_url``, fetch ``assignment`` in the Assignments tab, call
    ``edit()`` (changes the fetched notebook), submit it and see it listed as submitted.

    Raises AssertionError (with what the page showed) when a step does not happen. Returns the
    screenshots taken, one per step, in :func:`screenshot_dir`.
    """
    return _in_browser(_student_session, hub_url, user, password, assignment, edit, shot_prefix)


def _student_session(browser, hub_url: str, user: str, password: str, assignment: str,
                     edit: Callable[[], None], shot_prefix: str) -> list[Path]:
    shots: list[Path] = []
    s = _Session(browser, hub_url, shot_prefix, shots)
    page = s.page
    # 1. the hub's login form, then 2. JupyterLab on the student's own server
    s.log_in(user, password, f"/user/{user}")
    s.shot("jupyterlab")
    # 3. Nbgrader > Assignment List opens the "Assignments" tab, which lists the release
    s.menu(ASSIGNMENT_LIST_COMMAND, "Assignment List")
    s.current_tab("Assignments")
    released = _row(page, "released", assignment)
    s.expect(released, f"{assignment} is not listed under Released assignments")
    s.shot("released")
    # 4. Fetch: it moves to the fetched list (and the student's home folder)
    released.get_by_role("button", name="Fetch", exact=True).click()
    fetched = _row(page, "fetched", assignment)
    s.expect(fetched, f"{assignment} did not appear under Downloaded assignments")
    s.shot("fetched")
    # 5. the student works on the notebook, then 6. Submit
    edit()
    fetched.get_by_role("button", name="Submit", exact=True).click()
    submitted = _row(page, "submitted", assignment)
    try:
        submitted.wait_for()
        # one submission row under the assignment, with its timestamp
        submitted.locator(".assignment-notebooks .list_item .item_name").first.wait_for()
    except s.error:
        raise s.fail(f"{assignment} did not appear under Submitted assignments") from None
    s.shot("submitted")
    return shots


def _row(page, status: str, assignment: str):
    """The row of ``assignment`` in one of the tab's lists (released, fetched, submitted)."""
    name = page.locator(".item_name", has_text=re.compile(rf"^\s*{re.escape(assignment)}\s*$"))
    return page.locator(f"#{status}_assignments_list > .list_item").filter(has=name).first


@dataclass(frozen=True)
class HandGrade:
    """One grader's turn in the Formgrader tab: ``grader`` (a hub login; ``role`` names their
    screenshots) gives ``student`` (as formgrader names them, "Last, First") ``points`` and
    ``comment`` for the written answer ``grade_id``, after checking that the page shows the
    answer's rubric: the question above it (``question``) and its points."""

    role: str
    grader: str
    student: str
    grade_id: str
    points: float
    comment: str
    question: str


@dataclass(frozen=True)
class Rubric:
    """The model answer graders read beside Formgrader: ``text`` in the source notebook
    ``path`` (relative to the course folder), opened in the grading server's JupyterLab (the
    first grader logs in straight to it)."""

    path: str
    text: str


@dataclass(frozen=True)
class ExportCheck:
    """After grading: ``run()`` writes the LMS export; ``path`` (a file in the course folder)
    must then show every string of ``shows`` when opened in the grading server's editor."""

    run: Callable[[], None]
    path: str
    shows: tuple[str, ...]


def grade_by_hand(hub_url: str, password: str, service: str, assignment: str, notebook: str,
                  rubric: Rubric, turns: list[HandGrade], export: ExportCheck,
                  shot_prefix: str = "hub_grader") -> list[Path]:
    """Each grader of ``turns`` logs in, opens the grading service ``/services/<service>/``, and
    in Nbgrader > Formgrader: Manage Assignments lists ``assignment``; Manual Grading >
    assignment > notebook > the student's submission shows the rubric; points and comment are
    saved. The first grader also reads the ``rubric`` in the source notebook; the last one, after
    ``export.run()``, reads the export. Returns the screenshots."""
    return _in_browser(_grader_sessions, hub_url, password, service, assignment, notebook,
                       rubric, turns, export, shot_prefix)


def _grader_sessions(browser, hub_url, password, service, assignment, notebook, rubric, turns,
                     export, shot_prefix) -> list[Path]:
    shots: list[Path] = []
    for i, turn in enumerate(turns):
        s = _Session(browser, hub_url, f"{shot_prefix}_{turn.role}", shots)
        s.log_in(turn.grader, password, f"/services/{service}",
                 open_path=rubric.path if i == 0 else None)
        if i == 0:
            _read_rubric(s, rubric)
        _grade_one(s, assignment, notebook, turn)
        if i == len(turns) - 1:
            export.run()
            _read_export(s, export)
        s.close()
    return shots


def _read_rubric(s: _Session, rubric: Rubric) -> None:
    s.expect(s.page.locator(".jp-Notebook .jp-MarkdownOutput", has_text=rubric.text).first,
             f"the model answer {rubric.text!r} is not shown in {rubric.path}")
    s.shot("rubric_source")


def _grade_one(s: _Session, assignment: str, notebook: str, turn: HandGrade) -> None:
    page = s.page
    # Nbgrader > Formgrader: a JupyterLab tab that frames /formgrader (needs the course's
    # frame-ancestors header: without it the frame is empty, "refused to connect")
    s.menu(FORMGRADER_COMMAND, "Formgrader")
    s.current_tab("Formgrader")
    frame = page.frame_locator("#formgrader iframe")
    s.expect(frame.locator("li.active a:text-is('Manage Assignments')"),
             "the Formgrader tab does not show formgrader's Manage Assignments")
    s.expect(frame.locator("#main-table a", has_text=assignment).first,
             f"Manage Assignments does not list {assignment}")
    s.shot("formgrader_manage_assignments")
    # Links are found by where they lead (formgrader's gradebook URLs), so each click waits for
    # the page that shows its link: the assignment and its notebook share a name (fx_basics), and
    # a click by text made before the page changed hit the old page's link (on a loaded machine
    # CI stopped on the notebook list, waiting 90 s for submissions)
    frame.locator("a:text-is('Manual Grading')").first.click()
    frame.locator(f"#main-table a[href$='/formgrader/gradebook/{assignment}']").click()
    frame.locator(f"#main-table a[href$='/formgrader/gradebook/{assignment}/{notebook}']").click()
    s.expect(frame.locator("#main-table a.name-hidden").first,  # "Submission #1", ...
             f"Manual Grading lists no submission of {assignment}")
    frame.locator("#toggle_names").click()
    link = frame.locator(f"#main-table a.name-shown:text-is('{turn.student}')")
    s.expect(link, f"{turn.student} has no submission under Manual Grading")
    link.click()
    # the grading page: the question, the student's answer, its points box and comment box
    answer = frame.locator(".nbgrader_cell", has=frame.locator(f"input.score#{turn.grade_id}"))
    s.expect(answer, f"no points box for {turn.grade_id} on {turn.student}'s page")
    s.expect(frame.locator(".text_cell_render", has_text=turn.question).first,
             f"the question {turn.question!r} is not shown above the answer")
    heading = answer.locator(".panel-heading").inner_text()
    if "Student's answer" not in heading or not re.search(r"/\s*1(\.0)?\b", heading):
        raise s.fail(f"the answer's heading {heading!r} does not show its points")
    # formgrader saves a score from the handlers it attaches once the page's grades and comments
    # have loaded (after the window's load event); a score typed before that is never sent
    grading = page.locator("#formgrader iframe").element_handle().content_frame()
    try:
        grading.wait_for_function("() => window.formgrader && formgrader.grades && formgrader."
                                  "grades.loaded && formgrader.comments && formgrader.comments.loaded")
    except s.error:
        raise s.fail(f"{turn.student}'s grading page did not load its grades") from None
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                              and r.request.method == "PUT" and r.ok):
        frame.locator(f"input.score#{turn.grade_id}").fill(f"{turn.points:g}")
        frame.locator(f"input.score#{turn.grade_id}").press("Tab")
    with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url
                              and r.request.method == "PUT" and r.ok):
        frame.locator(f"textarea#{turn.grade_id}-comment").fill(turn.comment)
        frame.locator(f"textarea#{turn.grade_id}-comment").press("Tab")
    s.shot("formgrader_graded")


def _read_export(s: _Session, export: ExportCheck) -> None:
    s.open_in_editor(export.path)
    s.current_tab(Path(export.path).name)
    editor = s.page.locator("#jp-main-dock-panel .lm-DockPanel-widget:not(.lm-mod-hidden) "
                            ".cm-content").first
    s.expect(editor, f"{export.path} did not open in the editor")
    for text in export.shows:
        s.expect(editor.locator(".cm-line", has_text=text).first,
                 f"{export.path} does not show {text!r}")
    s.shot("lms_export")

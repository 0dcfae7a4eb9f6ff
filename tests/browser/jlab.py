"""Driving JupyterLab 4 in a Playwright page the way a student does, and reading what they see.

Everything a check relies on is visible in the page: the status bar's kernel state, the cells'
execution prompts, rendered images and widget views, an explorer's text read-out. Only error
detection also reads the notebook model (exposed by ``--LabApp.expose_app_in_browser``): JupyterLab
renders a traceback with the same ``application/vnd.jupyter.stderr`` renderer as a plain stderr
stream, so the page alone cannot tell a warning from an error.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The test fixtures' folder inside the served copy of the course.
FIXTURE_DIR_NAME = "_browser_fixtures"

PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
NOTEBOOK = f"{PANEL} .jp-Notebook"
STATUS_BAR = "#jp-main-statusbar"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# An aeutils.widgets.Explorer: VBox([title HTML, HBox(controls), read-out HTML, Image]).
EXPLORER = ".widget-vbox:has(> .widget-hbox):has(> .widget-image):has(> .widget-html code)"
READOUT = ":scope > .widget-html:has(code)"
FIGURE_AS_TEXT = re.compile(r"^<Figure size \d+(\.\d+)?x\d+(\.\d+)? with \d+ Axes>$")
WIDGET_FAILURES = ("Error displaying widget", "Loading widget...", "Error rendering output item")

# Page-side summary of one notebook: the model's outputs (types, error names) per code cell.
_MODEL_SUMMARY_JS = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  let panel = null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path) { panel = w; break; }
  }
  if (!panel || !panel.model) return null;
  const cells = panel.model.cells;
  const summary = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    const outputs = [];
    if (cell.type === 'code') {
      for (let j = 0; j < cell.outputs.length; j++) {
        const o = cell.outputs.get(j);
        const entry = {type: o.type, mimes: Object.keys(o.data || {})};
        if (o.type === 'error') {
          const raw = o.toJSON();
          entry.ename = raw.ename;
          entry.evalue = raw.evalue;
        }
        outputs.push(entry);
      }
    }
    summary.push({
      index: i,
      type: cell.type,
      count: cell.type === 'code' ? (cell.executionCount ?? null) : null,
      metadata: cell.sharedModel.getMetadata() || {},
      source: cell.sharedModel.getSource(),
      outputs,
    });
  }
  return summary;
}
"""

# Page-side state of execution, read from the prompts and the status bar.
_EXECUTION_STATE_JS = """
([notebookSel, statusSel]) => {
  const nb = document.querySelector(notebookSel);
  if (!nb) return null;
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
    .map(p => p.textContent.trim());
  const status = document.querySelector(statusSel);
  return {
    prompts,
    running: prompts.filter(p => p.includes('*')).length,
    executed: prompts.filter(p => /\\[\\d+\\]/.test(p)).length,
    idle: !!status && status.textContent.includes('| Idle'),
    status: status ? ((status.textContent.match(/\\| (\\w+)/) || [])[1] || '') : '',
  };
}
"""


@dataclass
class ControlMove:
    explorer: int
    control: str
    before: str
    after: str


@dataclass
class RunReport:
    path: str
    seconds: float  # open + Run All + checks + explorer moves
    run_seconds: float = 0.0  # Run All alone
    kernel_cpu_seconds: float | None = None  # the kernel's CPU time during Run All
    problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    images: int = 0
    widgets: int = 0
    explorers: int = 0
    moves: list[ControlMove] = field(default_factory=list)


class Lab:
    """One browser page on the shared JupyterLab server."""

    def __init__(self, context, url: str, token: str, root: Path):
        self.url, self.token, self.root = url, token, root
        self.page = context.new_page()
        self.page.set_default_timeout(60_000)
        self.paths: list[str] = []

    # ---- REST -------------------------------------------------------------------------------
    def api(self, method: str, endpoint: str) -> object:
        request = urllib.request.Request(f"{self.url}/api/{endpoint}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_sessions(self, path: str | None = None) -> None:
        """Delete the kernel sessions (of one notebook, or all): a clean start, no leftovers."""
        for session in self.api("GET", "sessions"):
            if path is None or session.get("path") == path:
                self.api("DELETE", f"sessions/{session['id']}")

    # ---- opening and running ----------------------------------------------------------------
    def open_notebook(self, path: str, idle_timeout: float = 120) -> None:
        """Open ``path`` (relative to the served root) in a fresh workspace; wait for '| Idle'."""
        self.shutdown_sessions(path)  # JupyterLab would re-attach an old kernel (PITFALLS)
        self.paths.append(path)
        workspace = f"t{uuid.uuid4().hex[:12]}"
        quoted = urllib.parse.quote(path)
        self.page.goto(f"{self.url}/lab/workspaces/{workspace}/tree/{quoted}?token={self.token}")
        self.page.locator(NOTEBOOK).wait_for(state="visible", timeout=idle_timeout * 1000)
        self._collapse_left_sidebar()
        self.wait_for_idle(idle_timeout)

    def _collapse_left_sidebar(self) -> None:
        current = self.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
        if current.count():
            current.first.click()

    def _accept_kernel_dialog(self) -> None:
        dialog = self.page.locator(".jp-Dialog:has-text('Select Kernel')")
        if dialog.count():
            dialog.locator(".jp-Dialog-button.jp-mod-accept").click()

    def execution_state(self) -> dict:
        return self.page.evaluate(_EXECUTION_STATE_JS, [NOTEBOOK, STATUS_BAR])

    def wait_for_idle(self, timeout: float = 120) -> None:
        """The toolbar says idle before the kernel is connected; the status bar's '| Idle' doesn't."""
        deadline = time.monotonic() + timeout
        while True:
            self._accept_kernel_dialog()
            state = self.execution_state()
            if state and state["idle"]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"kernel not idle after {timeout:.0f} s; it is "
                                     f"{(state or {}).get('status') or 'not shown'}")
            time.sleep(0.25)

    def menu(self, menu: str, item: str) -> bool:
        """Click ``menu`` in the menu bar, then ``item`` in it; False if the item was disabled
        (the click then does nothing, and the menu is closed with Escape)."""
        self.page.locator(f".lm-MenuBar-itemLabel:text-is('{menu}')").click()
        label = self.page.locator(f".lm-Menu-content .lm-Menu-itemLabel:text-is('{item}')")
        label.wait_for(state="visible", timeout=15_000)
        entry = self.page.locator(".lm-Menu-content .lm-Menu-item", has=self.page.locator(
            f".lm-Menu-itemLabel:text-is('{item}')"))
        enabled = "lm-mod-disabled" not in (entry.get_attribute("class") or "")
        label.click()
        if not enabled:
            self.page.keyboard.press("Escape")
        return enabled

    def run_all(self, timeout: float = 180) -> float:
        """Run > Run All Cells, then wait for the run to finish. Returns the seconds it took.

        Finished means: kernel '| Idle', no '[*]' prompt, stable for a second, and either every code
        cell has an execution count or the run stopped at an error (JupyterLab then skips the rest).
        """
        start = time.monotonic()
        self.menu("Run", "Run All Cells")
        n_code = len(self.execution_state()["prompts"])
        if n_code == 0:
            return time.monotonic() - start
        deadline = start + timeout
        started = False
        stable = 0
        clicked = time.monotonic()
        while True:
            state = self.execution_state()
            started = started or state["running"] > 0 or state["executed"] > 0
            if not started and time.monotonic() - clicked > 20:
                self.menu("Run", "Run All Cells")  # the first click can be lost on a busy machine
                clicked = time.monotonic()
            finished = started and state["idle"] and state["running"] == 0 and (
                state["executed"] == n_code or self.errors())
            if state["status"] == "Dead":
                raise AssertionError(f"the kernel died: {state['executed']} of {n_code} code "
                                     "cells ran")
            stable = stable + 1 if finished else 0
            if stable >= 4:
                return time.monotonic() - start
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"Run All did not finish within {timeout:.0f} s: {state['executed']} of "
                    f"{n_code} code cells ran, {state['running']} still running or queued; "
                    f"kernel {state['status'] or 'status unknown'}")
            time.sleep(0.25)

    def kernel_cpu_seconds(self, path: str) -> float | None:
        """CPU seconds (user + sys) the kernel of ``path`` has used so far; None if its process
        is not found (a server on another machine)."""
        from lecture_times import process_cpu_seconds

        kernels = [s["kernel"]["id"] for s in self.api("GET", "sessions") if s.get("path") == path]
        for proc in Path("/proc").iterdir() if kernels else []:
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
                if proc.name.isdigit() and f"kernel-{kernels[0]}.json" in cmdline:
                    return process_cpu_seconds(int(proc.name))
            except OSError:
                continue
        return None

    def save(self, path: str) -> None:
        """File > Save, through the app: the outputs, and the widget state (when the widget
        manager's saveState setting is on), are written to the served copy."""
        saved = self.page.evaluate("""async (path) => {
            for (const w of window.jupyterapp.shell.widgets('main')) {
              if (w.context && w.context.path === path) { await w.context.save(); return true; }
            }
            return false;
        }""", path)
        if not saved:
            raise AssertionError(f"notebook {path} not found in the page to save it")

    # ---- reading what ran -------------------------------------------------------------------
    def model_summary(self, path: str) -> list[dict]:
        summary = self.page.evaluate(_MODEL_SUMMARY_JS, path)
        if summary is None:
            raise AssertionError(f"notebook {path} not found in the page (is window.jupyterapp "
                                 "exposed? the server needs --LabApp.expose_app_in_browser)")
        return summary

    def errors(self, path: str | None = None) -> list[str]:
        """Error outputs (tracebacks) of the notebook, as 'cell N: Name: value'."""
        path = path or self.paths[-1]
        return [f"cell {cell['index']}: {o['ename']}: {o['evalue']}"
                for cell in self.model_summary(path) for o in cell["outputs"]
                if o["type"] == "error"]

    def wait_for_rendered_outputs(self, timeout: float = 60) -> None:
        """Images loaded and widget views out of their 'Loading widget...' state."""
        self.page.wait_for_function(
            """([panel, failures]) => {
                const root = document.querySelector(panel);
                if (!root) return false;
                const imgs = [...root.querySelectorAll('.jp-OutputArea-output img')];
                if (imgs.some(img => !img.complete)) return false;
                const text = root.innerText;
                return !text.includes('Loading widget...');
            }""", arg=[PANEL, list(WIDGET_FAILURES)], timeout=timeout * 1000)

    def check_outputs(self, report: RunReport, require_figure: bool = True) -> None:
        """What a student would see as broken: errors, cells that did not run, figures shown as
        text or not loaded, widgets that failed to render."""
        summary = self.model_summary(report.path)
        report.errors = self.errors(report.path)
        report.problems += [f"error output in {e}" for e in report.errors]
        not_run = [c["index"] for c in summary if c["type"] == "code" and c["count"] is None]
        if not_run:
            report.problems.append(f"code cells without an execution count: {not_run}")
        try:
            self.wait_for_rendered_outputs()
        except Exception as exc:  # noqa: BLE001 -- reported as a problem, with its reason
            report.problems.append(f"outputs did not finish rendering: {exc}")
        page_state = self.page.evaluate(
            """(panel) => {
                const root = document.querySelector(panel);
                const outputs = [...root.querySelectorAll('.jp-OutputArea-output')];
                const imgs = [...root.querySelectorAll('.jp-OutputArea-output img')];
                // ipywidgets' renderer leaves no data-mime-type; its view carries .jupyter-widgets
                const widgetViews = outputs.filter(o => o.querySelector(':scope > .jupyter-widgets'));
                return {
                  images: imgs.length,
                  brokenImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
                  widgetViews: widgetViews.length,
                  texts: outputs.map(o => o.innerText.trim()),
                };
            }""", PANEL)
        report.images = page_state["images"]
        report.widgets = page_state["widgetViews"]
        model_widgets = sum(WIDGET_MIME in o["mimes"] for c in summary for o in c["outputs"])
        if page_state["brokenImages"]:
            report.problems.append(f"{page_state['brokenImages']} image(s) failed to load")
        if require_figure and not page_state["images"]:
            report.problems.append("no figure (img element) in any output")
        if model_widgets != page_state["widgetViews"]:
            report.problems.append(f"{model_widgets} widget output(s) in the notebook but "
                                   f"{page_state['widgetViews']} rendered widget view(s)")
        for text in page_state["texts"]:
            if FIGURE_AS_TEXT.match(text):
                report.problems.append(f"a figure is shown as text, not drawn: {text!r} "
                                       "(the inline backend is off: add %matplotlib inline)")
            for failure in WIDGET_FAILURES:
                if failure in text:
                    report.problems.append(f"widget not rendered: {text[:200]!r}")

    # ---- explorers --------------------------------------------------------------------------
    def move_explorer_controls(self, report: RunReport, timeout: float = 60) -> None:
        """Move every control of every aeutils explorer once; its read-out text must change."""
        explorers = self.page.locator(f"{PANEL} {EXPLORER}")
        report.explorers = explorers.count()
        for i in range(report.explorers):
            explorer = explorers.nth(i)
            readout = explorer.locator(READOUT)
            controls = explorer.locator(":scope > .widget-hbox > *")
            for j in range(controls.count()):
                control = controls.nth(j)
                name = control.locator(".widget-label").first.inner_text().strip() or f"#{j}"
                before = readout.inner_text()
                how = self._move(control)
                if how is None:
                    report.problems.append(f"explorer {i}: control {name!r} is neither a slider "
                                           "nor a dropdown; not moved")
                    continue
                try:
                    self.page.wait_for_function(
                        "([el, old]) => el.innerText !== old",
                        arg=[readout.element_handle(), before], timeout=timeout * 1000)
                except Exception:  # noqa: BLE001
                    report.problems.append(
                        f"explorer {i}: moving {name!r} ({how}) did not change the read-out "
                        f"{before!r} within {timeout:.0f} s")
                    continue
                report.moves.append(ControlMove(i, f"{name} ({how})", before,
                                                readout.inner_text()))
                self.wait_for_idle(timeout)

    def _move(self, control) -> str | None:
        handle = control.locator(".noUi-handle")
        if handle.count():
            now = handle.first.get_attribute("aria-valuenow")
            top = handle.first.get_attribute("aria-valuemax")
            key = "Home" if now is not None and now == top else "End"
            handle.first.focus()
            handle.first.press(key)
            return f"slider, {key}"
        select = control.locator("select")
        if select.count():
            options = select.first.locator("option")
            current = select.first.input_value()
            values = [options.nth(k).get_attribute("value") for k in range(options.count())]
            others = [v for v in values if v != current]
            if not others:
                return None
            select.first.select_option(others[0])
            return f"dropdown, {others[0]!r}"
        return None

    # ---- screenshots, closing ---------------------------------------------------------------
    def screenshot(self, path: Path, max_height: int = 15000) -> None:
        """The whole notebook panel: the viewport is made as tall as the notebook for the shot."""
        size = self.page.viewport_size
        extra = self.page.evaluate(
            """(panel) => {
                // The notebook's scroll container: the element that scrolls the most.
                let best = null;
                for (const el of document.querySelector(panel).querySelectorAll('*')) {
                  const overflow = getComputedStyle(el).overflowY;
                  if ((overflow === 'auto' || overflow === 'scroll')
                      && (!best || el.scrollHeight - el.clientHeight
                                   > best.scrollHeight - best.clientHeight)) best = el;
                }
                if (!best) return 0;
                best.scrollTop = 0;
                return best.scrollHeight - best.clientHeight;
            }""", PANEL)
        tall = min(size["height"] + max(extra, 0) + 40, max_height)
        self.page.set_viewport_size({"width": size["width"], "height": tall})
        try:
            self.page.wait_for_timeout(300)
            self.page.locator(PANEL).screenshot(path=str(path))
        finally:
            self.page.set_viewport_size(size)

    def close(self) -> None:
        try:
            self.page.close()
        finally:
            for path in self.paths:
                self.shutdown_sessions(path)


def run_notebook(lab: Lab, path: str, timeout: float = 180, require_figure: bool = True,
                 move_controls: bool = True) -> RunReport:
    """Open, Run All, wait, check the outputs and move the explorers' controls."""
    start = time.monotonic()
    lab.open_notebook(path)
    report = RunReport(path, 0.0)
    cpu_before = lab.kernel_cpu_seconds(path)
    report.run_seconds = lab.run_all(timeout)
    cpu_after = lab.kernel_cpu_seconds(path)
    if cpu_before is not None and cpu_after is not None:
        report.kernel_cpu_seconds = cpu_after - cpu_before
    lab.check_outputs(report, require_figure=require_figure)
    if move_controls and not report.errors:
        lab.move_explorer_controls(report)
    report.seconds = time.monotonic() - start
    return report

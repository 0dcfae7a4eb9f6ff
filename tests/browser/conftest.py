"""Fixtures of the browser tests: one JupyterLab server and one headless Chromium per session.

The server serves a temporary COPY of the course (lectures/, assignments/ and this folder's
fixtures), so running notebooks through the UI never touches the committed files. It is isolated
from the user's Jupyter set-up (its own config, data, runtime, settings and workspace folders), runs
with a random token on a free port of 127.0.0.1, and is stopped by its process id at the end, along
with any kernel it started.

Chromium is Debian's (``/usr/bin/chromium``, or ``$CHROMIUM``); ``tools/install_browser.sh``
installs it. Without it the tests fail with a clear message; ``AEUTILS_SKIP_BROWSER=1`` skips them
on purpose (for machines that cannot have a browser).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from jlab import FIXTURE_DIR_NAME, REPO, Lab

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
SCREENSHOTS = REPO / "build" / "screenshots"
JUPYTER = Path(sys.executable).parent / "jupyter"
SKIP_ENV = "AEUTILS_SKIP_BROWSER"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT = 120  # seconds: the first start on a busy 2-core machine is slow


def chromium_path() -> Path:
    return Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def pytest_collection_modifyitems(config, items):
    """Browser tests need Chromium: skip them only when asked to, otherwise fail loudly."""
    if os.environ.get(SKIP_ENV) == "1":
        skip = pytest.mark.skip(reason=f"{SKIP_ENV}=1: browser tests skipped on purpose")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium() -> Path:
    path = chromium_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {path}. Run tools/install_browser.sh (as root it installs "
            f"Debian's 'chromium' package), or set CHROMIUM=/path/to/chromium. Do not run "
            f"'playwright install'. To skip the browser tests on purpose: {SKIP_ENV}=1.",
            pytrace=False,
        )
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _copy_course(root: Path) -> None:
    """The served folder: copies of lectures/, assignments/ and the test fixtures."""
    for name in ("lectures", "assignments"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copytree(FIXTURES, root / FIXTURE_DIR_NAME)


def _isolated_jupyter_env(base: Path) -> dict[str, str]:
    """Environment of the server: its own Jupyter folders, the venv's bin/ first on PATH."""
    config, data, runtime, ipython = (base / n for n in ("config", "data", "runtime", "ipython"))
    for d in (config / "labconfig", data, runtime, ipython):
        d.mkdir(parents=True, exist_ok=True)
    # The announcements plugin's "news" toast covers part of the page (PITFALLS).
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(data),
        JUPYTER_RUNTIME_DIR=str(runtime), IPYTHONDIR=str(ipython),
        JUPYTER_PLATFORM_DIRS="1",
        # nbgrader's server extension calls `alembic` through PATH (PITFALLS).
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTER_TOKEN", None)
    return env


def _user_settings(settings_dir: Path) -> None:
    """Render every cell (no windowing) so that DOM checks see the whole notebook."""
    tracker = settings_dir / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    # recordTiming: each cell's start and end go into the saved notebook (what took how long)
    tracker.write_text(json.dumps({"windowingMode": "none", "recordTiming": True}))
    notifications = (settings_dir / "@jupyterlab" / "apputils-extension"
                     / "notification.jupyterlab-settings")
    notifications.parent.mkdir(parents=True, exist_ok=True)
    notifications.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Saving a notebook keeps its widgets' state, as nbclient's store_widget_state does headless.
    widgets = settings_dir / "@jupyter-widgets" / "jupyterlab-manager" / "plugin.jupyterlab-settings"
    widgets.parent.mkdir(parents=True, exist_ok=True)
    widgets.write_text(json.dumps({"saveState": True}))


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _pids_mentioning(marker: str) -> list[int]:
    """Processes whose command line mentions ``marker`` (our unique temp folder): the kernels."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            pids.append(int(proc.name))
    return pids


def _stop(proc: subprocess.Popen, marker: str) -> None:
    """Stop the server's process group, then any kernel left behind (by pid)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    for sig in (signal.SIGTERM, signal.SIGKILL):
        leftovers = _pids_mentioning(marker)
        for pid in leftovers:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if leftovers:
            time.sleep(2)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory) -> Iterator[dict]:
    """A running JupyterLab on a temporary copy of the course; yields its url, token and root."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "course"
    root.mkdir()
    _copy_course(root)
    settings, workspaces = base / "settings", base / "workspaces"
    workspaces.mkdir()
    _user_settings(settings)
    token, port = secrets.token_hex(24), _free_port()
    cmd = [
        str(JUPYTER), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={workspaces}", "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.log_level=WARN",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log_path = base / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=_isolated_jupyter_env(base), stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    # A cancelled CI job sends SIGTERM: turn it into KeyboardInterrupt so that the finally below
    # still stops the server (it runs in its own session and would otherwise outlive pytest).
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _answers(f"{url}/api/status?token={token}"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"JupyterLab did not start (exit code {proc.poll()}); its log:\n"
                    + log_path.read_text(errors="replace")[-5000:])
            time.sleep(0.5)
        yield {"url": url, "token": token, "root": root, "log": log_path, "proc": proc}
    finally:
        _stop(proc, str(base))
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="session")
def browser_context(chromium, tmp_path_factory) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900}, device_scale_factor=1,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def lab(chromium, lab_server, browser_context) -> Iterator[Lab]:
    """A fresh page on the shared server; its notebooks' kernels are shut down afterwards."""
    lab = Lab(browser_context, lab_server["url"], lab_server["token"], lab_server["root"])
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

"""A class on a real JupyterHub: an instructor, a TA and three students, through the hub, its
servers and the course's grading server.

The hub (PyPI ``jupyterhub``, npm ``configurable-http-proxy`` from tools/install_hub.sh) runs on
127.0.0.1 with random ports, local users made with ``useradd``, LocalProcessSpawner, and the
course's shipped configuration (hub/jupyterhub_config.py, loaded as is): the grading server, a
JupyterHub service run by the course's own account in the course folder, with formgrader and
the header that lets its JupyterLab tab frame it (hub/grader/jupyter_server_config.py).

Students act through the hub's REST API and their own servers: nbgrader's Assignments-tab
handlers (``/assignments/fetch|submit|fetch_feedback``) and the contents API to edit the
notebook. Alice does it in the browser suite's Chromium instead (tests/browser/hub_login.py): she
logs in on the hub's login page, fetches in JupyterLab's Assignments tab, and submits there (her
notebook is edited through the contents API in between). The instructor runs the command line
(release, collect, grade, export, feedback) and grades written answers by hand in Chromium: the
grading server's JupyterLab, the model answer in the source notebook, Nbgrader > Formgrader,
Manual Grading, points and a comment; so does the TA, who then reads the LMS export there.
Without Chromium or Playwright every browser step goes through REST or nbgrader's Gradebook
instead, and the test ends skipped, saying why.
Alice submits a correct notebook, carol a partial one after the due date, dan nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "tests" / "instructor"))
import grading_corpus as corpus  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "browser"))
import hub_login  # noqa: E402

sys.path.insert(0, str(HERE))
from hub_ready import BIN, CHP, why_no_hub  # noqa: E402

pytestmark = [pytest.mark.hub, pytest.mark.timeout(900)]

SHIPPED = REPO / "hub" / "jupyterhub_config.py"  # the course's hub configuration, used as is
COURSE_ID = "autoencoders"
STUDENTS = ("alice", "carol", "dan")
GRADERS = ("inst", "ta")  # hub logins in the course's graders group
ACCOUNTS = ("grader",)  # the Unix account that runs the course's grading server
BROWSER_STUDENT = "alice"  # she uses JupyterLab's Assignments tab in Chromium
PASSWORD = "course-test"  # DummyAuthenticator's shared password
# the hand grades: (grader, student, points, comment)
HAND_GRADES = (("inst", "alice", 1.0, "Clear and correct: nothing to add."),
               ("ta", "carol", 0.5, "Half: say why the bottleneck rules out copying."))


def user_python(base: Path, user: str) -> str:
    """An interpreter that ``user`` can run, with this environment's packages.

    This environment's interpreter may live where other users cannot go (e.g. pyenv under
    /root, mode 700: the measured pre-flight case (a)). Then the servers use a copy of that
    interpreter (its binary, shared library and standard library: about 75 MB, not its
    packages) in ``base``, whose ``.pth`` adds this environment's site-packages (readable by
    all): the set-up docs/hub.md asks for in one step. Not the system's Python of the same
    version: Debian 12's 3.11.2 has a regular-expression bug with atomic groups that makes
    soupsieve, hence nbconvert's HTML export, fail ("Invalid character 'i' position 0"), and
    with it formgrader's grading page and feedback.
    """
    probe = subprocess.run(["runuser", "-u", user, "--", sys.executable, "-c", "import nbgrader"],
                           capture_output=True)
    if probe.returncode == 0:
        return sys.executable
    home, dest = Path(sys.base_prefix), base / "python"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    shutil.copytree(home / "lib" / version, dest / "lib" / version, symlinks=True,
                    ignore=shutil.ignore_patterns("site-packages", "test", "idlelib", "tkinter",
                                                  "turtledemo", "ensurepip", "lib2to3"))
    for lib in (home / "lib").glob("libpython*.so*"):
        shutil.copy2(lib, dest / "lib" / lib.name, follow_symlinks=False)
    (dest / "bin").mkdir()
    shutil.copy2(home / "bin" / version, dest / "bin" / version)
    purelib = Path(sysconfig.get_paths()["purelib"])
    (dest / "lib" / version / "site-packages").mkdir()
    (dest / "lib" / version / "site-packages" / "course.pth").write_text(
        f"import site; site.addsitedir({str(purelib)!r})\n")
    wrapper = dest / "bin" / "python"  # its RUNPATH points into /root: name the copy's lib
    wrapper.write_text(f"#!/bin/sh\nLD_LIBRARY_PATH={dest / 'lib'}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"
                       f" exec {dest / 'bin' / version} \"$@\"\n")
    wrapper.chmod(0o755)
    probe = subprocess.run(["runuser", "-u", user, "--", str(wrapper), "-c", "import nbgrader"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"{sys.executable} cannot be run by other users, nor a copy of it "
                    f"({probe.stderr.strip()[-300:]}): install the course environment where "
                    "every user can read it")
    return str(wrapper)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    def __init__(self, base: Path, users: dict[str, str]) -> None:
        self.port, self.hub_port, self.proxy_api_port = _port(), _port(), _port()
        self.grading_port = _port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.users = users
        self.base = base

    def start(self, exchange: Path, python: str, course: Path, graders: list[str],
              grader_account: str) -> None:
        """Start the hub: the test's settings (ports, users, spawner), then the course's shipped
        configuration, whose settings come from the environment as on a real hub."""
        cfg = self.base / "jupyterhub_config.py"
        env_for_users = {"PATH": f"{Path(python).parent}:{BIN}:/usr/bin:/bin",
                         "AEUTILS_EXCHANGE_ROOT": str(exchange),
                         # this environment's server extensions (nbgrader's Assignments tab)
                         "JUPYTER_CONFIG_PATH": f"{sys.prefix}/etc/jupyter",
                         "JUPYTER_PATH": f"{sys.prefix}/share/jupyter"}
        cfg.write_text(f"""
c = get_config()
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {self.hub_port}
c.JupyterHub.db_url = "sqlite:///{self.base}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{self.base}/cookie_secret"
c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = "{self.base}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {PASSWORD!r}
c.Authenticator.allowed_users = {set(self.users)!r}
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [{python!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {env_for_users!r}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.services = [{{"name": "course-test", "api_token": {self.token!r}}}]
c.JupyterHub.load_roles = [{{"name": "course-test", "services": ["course-test"],
    "scopes": ["admin:users", "admin:servers", "tokens", "access:servers"]}}]
load_subconfig({str(SHIPPED)!r})
""")
        env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
               "AEUTILS_HUB_GRADERS": ",".join(graders), "AEUTILS_HUB_COURSE_DIR": str(course),
               "AEUTILS_HUB_GRADER_ACCOUNT": grader_account,
               "AEUTILS_HUB_GRADING_PORT": str(self.grading_port), "AEUTILS_HUB_PYTHON": python,
               "AEUTILS_EXCHANGE_ROOT": str(exchange)}
        self.log = (self.base / "hub.log").open("wb")
        self.proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(cfg)], cwd=self.base,
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self._why()
            try:
                self.api("GET", "/hub/api/")
                return
            except OSError:
                time.sleep(0.5)
        raise AssertionError("the hub did not start:\n" + (self.base / "hub.log").read_text())

    def _why(self) -> str:
        """The hub's own errors (a proxy's 404 noise aside), then the log's tail."""
        log = (self.base / "hub.log").read_text(errors="replace")
        errors = [ln for ln in log.splitlines() if ln.startswith(("[E ", "[C "))]
        return "\n".join(errors[:20]) + "\n...\n" + log[-2000:]

    def api(self, method: str, path: str, body: object = None, token: str | None = None,
            form: dict | None = None) -> object:
        raw = self.request(method, path, body, token, form)[2]
        return json.loads(raw) if raw.strip() else None

    def request(self, method: str, path: str, body: object = None, token: str | None = None,
                form: dict | None = None) -> tuple[int, Any, bytes]:
        """(status, headers (case-insensitive), body) of a request through the hub's proxy;
        a GET's HTTP error status is returned, not raised."""
        data = None
        headers = {"Authorization": f"token {token or self.token}"}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            if method != "GET" or path.startswith("/hub/api"):
                raise
            return err.code, err.headers, err.read()

    def token_for(self, user: str) -> str:
        return self.api("POST", f"/hub/api/users/{user}/tokens", {"note": "test"})["token"]

    def wait_for_service(self, name: str, token: str) -> None:
        """Wait until the hub-managed service ``name`` answers (it starts with the hub)."""
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            try:
                if self.request("GET", f"/services/{name}/api/status", token=token)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(1)
        raise AssertionError(f"the service {name} did not start:\n"
                             + (self.base / "hub.log").read_text()[-3000:])

    def start_server(self, user: str) -> str:
        """Start ``user``'s server; return a token of theirs for their server's API."""
        token = self.token_for(user)
        self.api("POST", f"/hub/api/users/{user}/server")
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            model = self.api("GET", f"/hub/api/users/{user}")
            if model["servers"].get("", {}).get("ready"):
                return token
            time.sleep(1)
        raise AssertionError(f"{user}'s server did not start:\n"
                             + (self.base / "hub.log").read_text()[-3000:])

    def stop(self) -> None:
        if getattr(self, "proc", None) is not None:
            for user in self.users:
                try:
                    self.api("DELETE", f"/hub/api/users/{user}/server")
                except Exception:
                    pass
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
            self.log.close()
            self._stop_proxy()

    def _stop_proxy(self) -> None:
        """The proxy runs in a session of its own; JupyterHub 6.1 stops it at shutdown, unless
        stopping the managed grading service takes it past our wait or fails."""
        pid_file = self.base / "proxy.pid"
        try:
            pid = int(pid_file.read_text().strip())
            if "configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                os.kill(pid, 15)
        except (OSError, ValueError):
            pass  # already gone


@pytest.fixture
def local_users():
    why = why_no_hub()
    if why:
        pytest.skip(why)
    base = Path(tempfile.mkdtemp(prefix="hubtest-", dir="/home"))
    os.chmod(base, 0o755)
    suffix = secrets.token_hex(3)
    users = {}
    try:
        for name in (*GRADERS, *ACCOUNTS, *STUDENTS):
            user = f"aeu{name}{suffix}"
            subprocess.run(["useradd", "-m", "-d", str(base / user), "-s", "/bin/sh", user],
                           check=True)
            users[name] = user
        yield base, users
    finally:
        for user in users.values():
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            subprocess.run(["userdel", "-r", user], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _aeutils(course: Path, *args: str, env: dict) -> str:
    proc = subprocess.run([sys.executable, "-m", "aeutils", "--course", str(course), *args],
                          capture_output=True, text=True, env=env, timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _nbgrader(course: Path, *args: str, env: dict) -> None:
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _quiet_jupyterlab(home: Path, user: str) -> None:
    """No "news" toast over the page (PITFALLS), as in the browser suite's server."""
    labconfig = home / ".jupyter" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    for path in (labconfig.parent, labconfig, labconfig / "page_config.json"):
        shutil.chown(path, user)


def test_a_class_on_a_real_jupyterhub(local_users):
    t_start = time.monotonic()
    base, users = local_users
    exchange = base / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o1777)
    course = base / "course"  # the course folder: the grading server runs in it
    shutil.copytree(REPO / "tests" / "fixtures" / "grading" / "course", course,
                    ignore=shutil.ignore_patterns("gradebook.db", "assignments", ".grading"))
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}",
           "AEUTILS_EXCHANGE_ROOT": str(exchange)}
    _aeutils(course, "release", env=env)
    _nbgrader(course, "release_assignment", corpus.ASSIGNMENT, env=env)
    # the course folder belongs to the course's account (docs/hub.md): formgrader, run by it,
    # writes the gradebook; root's later batches write into it and keep it that account's
    subprocess.run(["chown", "-R", f"{users['grader']}:", str(course)], check=True)
    for name in STUDENTS:  # the students' nbgrader settings (on a real hub: /etc/jupyter)
        home = Path(pwd.getpwnam(users[name]).pw_dir)
        (home / ".jupyter").mkdir(exist_ok=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")
        shutil.chown(home / ".jupyter", users[name])
        shutil.chown(home / ".jupyter" / "nbgrader_config.py", users[name])
    for name in (BROWSER_STUDENT, "grader"):
        _quiet_jupyterlab(Path(pwd.getpwnam(users[name]).pw_dir), users[name])
    no_browser = hub_login.why_no_browser()

    hub = Hub(base, {users[n]: n for n in (*STUDENTS, *GRADERS)})
    python = user_python(base, users["alice"])
    hub.start(exchange, python, course, [users[n] for n in GRADERS], users["grader"])
    try:
        tokens = {n: hub.start_server(users[n]) for n in STUDENTS}
        tokens.update({n: hub.token_for(users[n]) for n in GRADERS})
        _check_grading_server(hub, users, tokens)

        def action(name: str, what: str) -> object:
            return hub.api("POST", f"/user/{users[name]}/assignments/{what}",
                           token=tokens[name], form={"assignment_id": corpus.ASSIGNMENT,
                                                     "course_id": COURSE_ID})

        def work(name: str, add: str, mean: str) -> None:
            path = f"/user/{users[name]}/api/contents/{corpus.ASSIGNMENT}/{corpus.NB}"
            model = hub.api("GET", path, token=tokens[name])
            for cell in model["content"]["cells"]:
                gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
                if gid in ("add", "mean_of", "written"):
                    cell["source"] = {"add": add, "mean_of": mean,
                                      "written": f"Written by {name}."}[gid]
            hub.api("PUT", path, {"type": "notebook", "format": "json",
                                  "content": model["content"]}, token=tokens[name])

        def alice_works() -> None:
            work("alice", corpus.ADD_OK, corpus.MEAN_OK)

        if no_browser is None:
            t_browser = time.monotonic()
            shots = hub_login.fetch_edit_submit(hub.url, users["alice"], PASSWORD,
                                                corpus.ASSIGNMENT, alice_works)
            print(f"browser, student: {time.monotonic() - t_browser:.1f} s, screenshots "
                  + ", ".join(p.name for p in shots))
            rest_students = [n for n in STUDENTS if n != BROWSER_STUDENT]
        else:
            rest_students = list(STUDENTS)
        for name in rest_students:
            listed = hub.api("GET", f"/user/{users[name]}/assignments?course_id={COURSE_ID}",
                             token=tokens[name])
            assert any(a["assignment_id"] == corpus.ASSIGNMENT for a in listed["value"]), listed
            action(name, "fetch")
        if no_browser is not None:
            alice_works()
            out = action("alice", "submit")
            assert "success" not in out or out["success"], out
        time.sleep(1.5)
        due = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        time.sleep(1.5)
        work("carol", corpus.ADD_OK, corpus.MEAN_WRONG)
        action("carol", "submit")

        # the instructor, on the command line
        _nbgrader(course, "db", "assignment", "add", corpus.ASSIGNMENT, f"--duedate={due}",
                  env=env)
        _nbgrader(course, "collect", corpus.ASSIGNMENT, env=env)
        roster = base / "students.csv"
        roster.write_text("id,first_name,last_name\n"
                          + "".join(f"{users[n]},{n.title()},Student\n" for n in STUDENTS))
        _aeutils(course, "roster", str(roster), env=env)
        _aeutils(course, "grade", str(course / "submitted"), env=env)
        from nbgrader.api import Gradebook

        db_url = "sqlite:///" + str(course / "gradebook.db")
        with Gradebook(db_url) as gb:
            assert sorted(s.id for s in gb.students) == sorted(users[n] for n in STUDENTS)
            assert gb.find_submission(corpus.ASSIGNMENT, users["alice"]).code_score == 5
            assert gb.find_submission(corpus.ASSIGNMENT, users["carol"]).code_score == 2
            assert gb.find_submission(corpus.ASSIGNMENT, users["carol"]).total_seconds_late > 0
        assert pwd.getpwuid((course / "gradebook.db").stat().st_uid).pw_name == users["grader"]

        # the written answers, graded by hand: the instructor and the TA in Formgrader
        lms_rows = (f"{users['alice']},Student,Alice,,6", f"{users['carol']},Student,Carol,,2.3",
                    f"{users['dan']},Student,Dan,,missing")
        if no_browser is None:
            t_browser = time.monotonic()
            shots = hub_login.grade_by_hand(
                hub.url, PASSWORD, COURSE_ID, corpus.ASSIGNMENT, Path(corpus.NB).stem,
                rubric=hub_login.Rubric(f"solutions/{corpus.ASSIGNMENT}/{corpus.NB}",
                                        "It cannot copy the input"),
                turns=[hub_login.HandGrade(g, users[g], f"Student, {s.title()}", "written", p,
                                           c, "why does a bottleneck force structure")
                       for g, s, p, c in HAND_GRADES],
                export=hub_login.ExportCheck(lambda: _aeutils(course, "export", env=env),
                                             "grades-lms.csv", lms_rows))
            print(f"browser, graders: {time.monotonic() - t_browser:.1f} s, screenshots "
                  + ", ".join(p.name for p in shots))
        else:  # what formgrader's handlers would have written
            with Gradebook(db_url) as gb:
                for _, name, points, comment in HAND_GRADES:
                    g = gb.find_grade("written", "fx_basics", corpus.ASSIGNMENT, users[name])
                    g.manual_score, g.needs_manual_grade = points, False
                    gb.find_comment("written", "fx_basics", corpus.ASSIGNMENT,
                                    users[name]).manual_comment = comment
                gb.db.commit()
            _aeutils(course, "export", env=env)
        with Gradebook(db_url) as gb:
            for _, name, points, comment in HAND_GRADES:
                g = gb.find_grade("written", "fx_basics", corpus.ASSIGNMENT, users[name])
                assert (g.manual_score, g.needs_manual_grade) == (points, False), name
                assert gb.find_comment("written", "fx_basics", corpus.ASSIGNMENT,
                                       users[name]).comment == comment
        with (course / "grades-lms.csv").open() as fh:
            lms = {r["student_id"]: r["fx_basics (6)"] for r in csv.DictReader(fh)}
        assert lms == {users["alice"]: "6", users["carol"]: "2.3", users["dan"]: "missing"}
        with (course / "grades-nbgrader.csv").open() as fh:  # nbgrader's own export beside it
            rows = {r["student_id"]: r for r in csv.DictReader(fh)}
        assert float(rows[users["carol"]]["late_submission_penalty"]) == pytest.approx(0.2)
        assert float(rows[users["carol"]]["raw_score"]) == 2.5
        assert float(rows[users["alice"]]["score"]) == 6
        # formgrader's own Generate Feedback button runs the course's preprocessors on the
        # grading server (hub/grader/nbgrader_config.py): no hidden test in what it writes
        _, _, body = hub.request("POST", f"/services/{COURSE_ID}/formgrader/api/assignment/"
                                 f"{corpus.ASSIGNMENT}/generate_feedback", token=tokens["inst"])
        assert json.loads(body)["success"], body[-2000:]
        for name in ("alice", "carol"):
            made = course / "feedback" / users[name] / corpus.ASSIGNMENT / "fx_basics.html"
            text = made.read_text()
            assert pwd.getpwuid(made.stat().st_uid).pw_name == users["grader"]
            assert 'class="aeutils-parts"' in text and f"Written by {name}." in text
            assert not [m for m in corpus.HIDDEN_MARKERS if m in text], name
        _aeutils(course, "feedback", corpus.ASSIGNMENT, env=env)
        out = _aeutils(course, "release-feedback", corpus.ASSIGNMENT, env=env)
        assert f"released to 2 student(s): {users['alice']}, {users['carol']}" in out, out

        comments = {name: comment for _, name, _, comment in HAND_GRADES}
        for name in STUDENTS:
            action(name, "fetch_feedback")
            home = Path(pwd.getpwnam(users[name]).pw_dir)
            got = sorted((home / corpus.ASSIGNMENT / "feedback").glob("*/*.html"))
            if name == "dan":
                assert got == []
            else:
                assert len(got) == 1, got
                text = got[0].read_text()
                assert f"Written by {name}." in text
                assert not any(f"Written by {o}." in text for o in STUDENTS if o != name)
                assert comments[name] in text  # the grader's comment reached the student
                assert not any(c in text for o, c in comments.items() if o != name)
            # nothing this student can read holds a hidden test
            readable = subprocess.run(
                ["setpriv", f"--reuid={users[name]}", f"--regid={users[name]}", "--init-groups",
                 "sh", "-c", f"cd {home} && find . {exchange} -type f -readable -exec cat {{}} +"],
                capture_output=True, text=True, errors="replace").stdout
            assert "Written by" in readable or name == "dan"
            for marker in corpus.HIDDEN_MARKERS:
                assert marker not in readable, (name, marker)
    finally:
        hub.stop()
        (REPO / "build").mkdir(exist_ok=True)  # kept for a failure's post-mortem
        shutil.copyfile(base / "hub.log", REPO / "build" / "hub-e2e.log")
    print(f"\nhub end-to-end: {time.monotonic() - t_start:.0f} s wall")
    if no_browser is not None:
        pytest.skip(f"the REST part passed, but the browser steps did not run: {no_browser}")


def _check_grading_server(hub: Hub, users: dict[str, str], tokens: dict[str, str]) -> None:
    """The course's grading service: the graders reach it, a student does not; its pages may be
    framed by pages of the same origin (the Formgrader tab), the students' servers' by none."""
    hub.wait_for_service(COURSE_ID, tokens["inst"])
    for grader in GRADERS:
        status, headers, _ = hub.request("GET", f"/services/{COURSE_ID}/formgrader",
                                         token=tokens[grader])
        assert status == 200, (grader, status)
        assert headers.get("Content-Security-Policy") == "frame-ancestors 'self'", dict(headers)
    status, _, _ = hub.request("GET", f"/services/{COURSE_ID}/formgrader", token=tokens["alice"])
    assert status == 403, f"a student reached the grading server ({status})"
    _, headers, _ = hub.request("GET", f"/user/{users['alice']}/lab", token=tokens["alice"])
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), dict(headers)

"""The course installs in one step and starts: pyproject, environment.yml, Makefile, doctor, lab."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _requirement_map(requirements: list[str]) -> dict[str, str]:
    parsed = {}
    for requirement in requirements:
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement.strip())
        parsed[match.group(1).lower()] = match.group(2).replace(" ", "")
    return parsed


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _requirement_map(project["dependencies"] + project["optional-dependencies"]["dev"])
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda_deps = environment["dependencies"]
    pip_deps = next(d["pip"] for d in conda_deps if isinstance(d, dict))
    conda = _requirement_map([p for p in pip_deps if not p.startswith("-e")])
    assert set(conda) == set(wanted), f"differ: {set(conda) ^ set(wanted)}"
    for name, spec in wanted.items():
        if name == "torch":  # pinned to the CPU build the Makefile installs, inside the range
            assert conda[name] == "==2.13.0" and "<2.15" in spec
        else:
            assert conda[name] == spec, f"{name}: pyproject {spec!r}, environment.yml {conda[name]!r}"
    assert f"python{project['requires-python']}" in conda_deps and "-e ." in pip_deps


def test_one_python_version_everywhere():
    """pyproject's requires-python, environment.yml, the README and the running interpreter
    agree (the suite and tools/lowest_constraints.py use tomllib: Python 3.11+)."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = re.fullmatch(r">=(\d+)\.(\d+)", requires)
    assert minimum, f"requires-python {requires!r}: expected '>=X.Y'"
    major, minor = int(minimum[1]), int(minimum[2])
    assert (major, minor) >= (3, 11), "tomllib (used here and by tools/) needs Python 3.11+"
    assert sys.version_info[:2] >= (major, minor)
    assert f"python>={major}.{minor}" in (ROOT / "environment.yml").read_text()
    assert f"Python {major}.{minor}+" in (ROOT / "README.md").read_text()


def test_makefile_installs_the_cpu_torch_before_the_package():
    makefile = (ROOT / "Makefile").read_text()
    torch_at = makefile.index("pip install --quiet torch==2.13.0")
    package_at = makefile.index('pip install --quiet -e ".[dev]"')
    assert torch_at < package_at
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    assert [line.split("#")[0].strip() for line in quick_start.strip().splitlines()[1:]] == [
        "make lab", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_doctor_reports_versions_device_and_data():
    result = subprocess.run([sys.executable, "-m", "aeutils.doctor"], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for needle in ("torch", "CUDA available", "aeutils.device(): cpu", "[ok] digits",
                   "[ok] mnist (embedded 5k)", "[ok] natural patches", "[ok] text corpus"):
        assert needle in result.stdout, result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_starts_jupyterlab(tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
            f"--ServerApp.runtime_dir={tmp_path}")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    process = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200, process.stdout.read().decode() if process.poll() is not None else "no answer"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10) as page:
            assert b"JupyterLab" in page.read()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("JupyterLab did not stop on SIGTERM")

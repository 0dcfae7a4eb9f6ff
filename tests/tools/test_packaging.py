"""The course installs in one step and starts: pyproject, environment.yml, Makefile, doctor, lab."""

from __future__ import annotations

import importlib.util
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

ROOT = Path(__file__).resolve().parents[2]


def _requirement_map(requirements: list[str]) -> dict[str, str]:
    parsed = {}
    for requirement in requirements:
        match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement.strip())
        parsed[match.group(1).lower()] = match.group(2).replace(" ", "")
    return parsed


def _lowest_constraints():
    spec = importlib.util.spec_from_file_location("lowest_constraints",
                                                  ROOT / "tools" / "lowest_constraints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _what_make_setup_installs(project: dict) -> dict[str, str]:
    """{name: spec} of the core and the dev extra (its extras expanded); a package named twice
    keeps the spec with the higher lower bound (ipywidgets: core >=7.7, lab >=8.0)."""
    tools = _lowest_constraints()
    merged: dict[str, str] = {}
    for name, spec in (next(iter(_requirement_map([r]).items()))
                       for r in tools.requirements(project, ("dev",))):
        lower = re.search(r">=([0-9][^,]*)", spec)
        if name not in merged or (lower and tools._version_key(lower[1]) > tools._version_key(
                re.search(r">=([0-9][^,]*)", merged[name])[1])):
            merged[name] = spec
    return merged


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _what_make_setup_installs(project)
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
    import aeutils

    assert result.stdout.startswith(f"aeutils {aeutils.__version__} ("), result.stdout


def test_one_version_named_by_the_package_and_the_changelog():
    """pyproject reads the version from aeutils/__init__.py; CHANGELOG.md's newest entry names it
    (docs/releasing.md: bump both, then tag)."""
    import aeutils

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "aeutils.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", aeutils.__version__), aeutils.__version__
    entries = re.findall(r"^## \[?(\d+\.\d+\.\d+)\]? - (\d{4}-\d{2}-\d{2})$",
                         (ROOT / "CHANGELOG.md").read_text(), flags=re.MULTILINE)
    assert entries, "CHANGELOG.md has no '## X.Y.Z - YYYY-MM-DD' entry"
    assert entries[0][0] == aeutils.__version__, (
        f"CHANGELOG.md's newest entry is {entries[0][0]}, the package is {aeutils.__version__}")


def test_core_dependencies_are_what_a_lecture_needs_on_colab():
    """The core leaves out JupyterLab, nbgrader and the dev tools (Colab lacks them and does not
    need them); make setup still installs them all through the dev extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = _requirement_map(project["dependencies"])
    assert not set(core) & {"jupyterlab", "nbgrader", "pytest", "dask", "jupyterhub"}, core
    setup = _what_make_setup_installs(project)
    assert {"jupyterlab", "nbgrader", "dask", "pytest", "playwright"} <= set(setup)
    assert setup["ipywidgets"] == ">=8.0", "JupyterLab 4 needs ipywidgets 8 (the lab extra)"
    assert 'pip install --quiet -e ".[dev]"' in (ROOT / "Makefile").read_text()


def _colab_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "tools" / "colab_pins.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def test_colab_versions_are_inside_the_core_ranges():
    """Colab's published versions (tools/colab_pins.txt) satisfy every core range, so installing
    the course there changes none of them; torch is the one exception, and the Colab cell
    installs without dependencies because of it (its floor, 2.13, is what was measured)."""
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _colab_pins()
    assert {"ipywidgets", "numpy", "matplotlib", "scikit-learn", "scikit-image", "tqdm",
            "mlxtend"} <= set(pins)
    for name, spec in _requirement_map(project["dependencies"]).items():
        if name == "torch":
            assert pins.get("torch") is None, "torch is not pinned: CI installs its CPU build"
            continue
        assert name in pins, f"tools/colab_pins.txt has no version of {name}"
        assert pins[name] in SpecifierSet(spec), f"Colab's {name} {pins[name]} is outside {spec}"


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

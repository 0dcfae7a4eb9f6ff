"""tools/colab_cell.py: the Colab first cell of every lecture and assignment source."""

from __future__ import annotations

import copy
import json
import sys
import types
from importlib.metadata import version
from pathlib import Path

import pytest
import tool_modules

ROOT = Path(__file__).resolve().parents[2]


colab_cell = tool_modules.load("tools/colab_cell.py", "colab_cell")
launch = sys.modules["launch"]


def test_every_notebook_has_the_current_colab_cell():
    """A missing or stale cell (launch.toml, the version or the core requirements changed) fails:
    run `python tools/colab_cell.py`, then `aeutils release`."""
    paths = colab_cell.notebooks()
    assert len(paths) >= 13 and any("solutions" in p.parts for p in paths)
    assert colab_cell.main(["--check"]) == 0


def _notebook(*cells) -> dict:
    return {"cells": [{"cell_type": t, "id": f"c{i}", "metadata": {}, "source": s,
                       **({"execution_count": None, "outputs": []} if t == "code" else {})}
                      for i, (t, s) in enumerate(cells)],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_cell_goes_first_among_code_cells_once_and_replaces_a_stale_one():
    nb = _notebook(("markdown", "# Title"), ("code", "import aeutils"),
                   ("code", "widgets.latent_walk(m)"))
    settings = launch.load()
    source = colab_cell.expected_cell(nb, settings)
    once = colab_cell.updated(nb, source)
    assert [c["cell_type"] for c in once["cells"]] == ["markdown", "code", "code", "code"]
    assert once["cells"][1]["id"] == colab_cell.CELL_ID and "".join(once["cells"][1]["source"]) == source
    assert "nbgrader" not in once["cells"][1]["metadata"], "never a graded or locked cell"
    assert colab_cell.updated(once, source) == once, "not idempotent"
    stale = copy.deepcopy(once)
    stale["cells"][1]["source"] = [colab_cell.MARKER + "\n", "# an older cell\n"]
    stale["cells"].append(copy.deepcopy(stale["cells"][1]))  # and a duplicate
    assert colab_cell.updated(stale, source) == once
    assert "enable_custom_widget_manager" in source  # the notebook shows explorers
    plain = colab_cell.expected_cell(_notebook(("code", "print(1)")), settings)
    assert "enable_custom_widget_manager" not in plain and "--no-deps" in plain


def test_sync_writes_the_committed_form_and_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(colab_cell.dumps(_notebook(("markdown", "# T"), ("code", "x = 1"))))
    before = path.read_text()
    settings = launch.load()
    assert colab_cell.sync(path, settings, write=False) is True and path.read_text() == before
    assert colab_cell.sync(path, settings, write=True) is True
    assert colab_cell.sync(path, settings, write=False) is False
    assert path.read_text().endswith("}\n") and json.loads(path.read_text())["cells"][1]["id"] \
        == colab_cell.CELL_ID


class _Shell:
    """Records the magics a cell runs (IPython turns `%pip ...` into run_line_magic calls)."""

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line, *args):
        self.magics.append((name, line))


def _run(source: str, tmp_path: Path, on_colab: bool, monkeypatch) -> tuple[_Shell, list]:
    from IPython.core.inputtransformer2 import TransformerManager

    shell, enabled = _Shell(), []
    if on_colab:
        google, colab = types.ModuleType("google"), types.ModuleType("google.colab")
        output = types.ModuleType("google.colab.output")
        output.enable_custom_widget_manager = lambda: enabled.append(True)
        colab.output, google.colab = output, colab
        for name, module in (("google", google), ("google.colab", colab),
                             ("google.colab.output", output)):
            monkeypatch.setitem(sys.modules, name, module)
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    keep = tmp_path / "keep.txt"
    code = TransformerManager().transform_cell(source)
    exec(code, {"get_ipython": lambda: shell,
                "open": lambda _path, mode: open(keep, mode)})  # noqa: SIM115
    return shell, enabled


def test_the_cell_does_nothing_off_colab_and_installs_without_touching_torch_on_it(
        tmp_path, monkeypatch, capsys):
    source = colab_cell.render("aeutils==9.9", True, colab_cell.core_requirements(), "99.0")
    shell, enabled = _run(source, tmp_path, on_colab=False, monkeypatch=monkeypatch)
    assert shell.magics == [] and enabled == [] and not (tmp_path / "keep.txt").exists()
    shell, enabled = _run(source, tmp_path, on_colab=True, monkeypatch=monkeypatch)
    assert enabled == [True], "Colab's widget manager was not turned on"
    (first, no_deps), (second, rest) = shell.magics
    assert first == second == "pip"
    assert no_deps == 'install --quiet --no-deps "aeutils==9.9"'
    assert rest.startswith("install --quiet -c /tmp/colab-keep.txt ") and "torch" not in rest
    assert '"ipywidgets>=7.7"' in rest and '"mlxtend>=0.22"' in rest
    assert (tmp_path / "keep.txt").read_text().splitlines() == [
        f"{n}=={version(n)}" for n in ("torch", "numpy", "ipywidgets")]
    assert "older than 99.0" in capsys.readouterr().out  # the torch floor note


def test_release_keeps_the_cell_and_grading_does_not_flag_it():
    """The release (assignments/) holds the sources' cell unchanged, so the integrity scan never
    looks at it in a submission; written by a student, the same code would be flagged."""
    from aeutils.instructor import integrity

    for source in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        release = ROOT / "assignments" / source.parent.name / source.name
        cells = [json.loads(p.read_text())["cells"] for p in (source, release)]
        colab = [[c for c in nb if c.get("id") == colab_cell.CELL_ID] for nb in cells]
        assert len(colab[0]) == 1 and colab[0][0]["source"] == colab[1][0]["source"], source.name
        assert "nbgrader" not in colab[1][0]["metadata"]
        import nbformat

        released = nbformat.read(release, as_version=4)
        assert integrity.scan_code(released, released, release.name) == []
        student = copy.deepcopy(released)
        student.cells[[c.get("id") for c in student.cells].index(colab_cell.CELL_ID)].source += "\n# mine"
        assert integrity.scan_code(student, released, release.name), "the scan never looks"


def test_launch_settings_are_checked(tmp_path):
    text = (ROOT / "book" / "launch.toml").read_text()
    bad = tmp_path / "launch.toml"
    for old, new, message in (
            ('url = "https://github.com/', 'url = "https://gitlab.com/', "github.com/ORG/REPO"),
            ('interface = "jupyterlab"', 'interface = "vscode"', "hub.interface"),
            ("[hub]", "[hubs]", "missing setting")):
        bad.write_text(text.replace(old, new, 1))
        with pytest.raises(ValueError, match=message):
            launch.load(bad)
    assert launch.load().install.endswith(launch.package_version())

"""book/build.py, the website's source preparation, on small made-up inputs (no Sphinx run: the
built site itself is checked in a browser by tests/site/, after `make site`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import tool_modules

ROOT = Path(__file__).resolve().parents[2]


build = tool_modules.load("book/build.py", "site_build")
launch = sys.modules["launch"]
VIEW = build.WIDGET_VIEW


def _code(source, outputs=(), **meta):
    return {"cell_type": "code", "execution_count": 1, "metadata": meta, "outputs": list(outputs),
            "source": source}


def test_explorers_become_their_picture_and_a_note_and_widget_state_is_dropped():
    explorer = {"output_type": "display_data", "metadata": {},
                "data": {VIEW: {"model_id": "m1"}, "image/png": "iVBOR", "text/plain": "k = 4"}}
    bare = {"output_type": "display_data", "metadata": {}, "data": {VIEW: {"model_id": "m2"}}}
    figure = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR"}}
    nb = {"cells": [_code("widgets.x()", [explorer, bare]), _code("viz.y()", [figure])],
          "metadata": {"widgets": {build.WIDGET_STATE: {"state": {}}}}}
    out = build.static_explorers(nb)
    first = out["cells"][0]["outputs"]
    assert first[0]["data"] == {"image/png": "iVBOR"}
    assert first[1]["data"]["text/markdown"].endswith("Shown: k = 4*") and len(first) == 2
    assert out["cells"][1]["outputs"] == [figure] and "widgets" not in out["metadata"]


def test_an_executed_lecture_is_reused_only_while_its_code_is_the_committed_one(tmp_path):
    lecture, executed = tmp_path / "l.ipynb", tmp_path / "e.ipynb"
    lecture.write_text(json.dumps({"cells": [_code("a = 1"), {"cell_type": "markdown",
                                                               "metadata": {}, "source": "x"}]}))
    assert not build.is_current(executed, lecture)
    executed.write_text(json.dumps({"cells": [_code("a = 1", [{"output_type": "stream"}])]}))
    assert build.is_current(executed, lecture)
    executed.write_text(json.dumps({"cells": [_code("a = 2")]}))
    assert not build.is_current(executed, lecture)
    executed.write_text("{not json")
    assert not build.is_current(executed, lecture)


def test_links_to_pages_stay_and_links_to_other_repository_files_point_at_the_repository():
    settings = launch.load()
    site_files = {"docs/hub.md", "lectures/00_recipe.ipynb"}
    text = ("[hub](docs/hub.md) [cfg](nbgrader_config.py#L3) [web](https://x.org/a) [top](#quick) "
            "[log](CHANGELOG.md) [lecture](lectures/00_recipe.ipynb) [folder](solutions)")
    out = build.rewrite_links(text, "README.md", site_files, settings)
    repo, branch = settings.repository_url, settings.branch
    assert "[hub](docs/hub.md)" in out and "[lecture](lectures/00_recipe.ipynb)" in out
    assert f"[cfg]({repo}/blob/{branch}/nbgrader_config.py#L3)" in out
    assert "[web](https://x.org/a)" in out and "[top](#quick)" in out
    assert "[log](changelog.md)" in out and f"[folder]({repo}/tree/{branch}/solutions)" in out
    from_docs = build.rewrite_links("[readme](../README.md) [log](../CHANGELOG.md)", "docs/hub.md",
                                    site_files, settings)
    assert f"({repo}/blob/{branch}/README.md)" in from_docs and "[log](../changelog.md)" in from_docs


def test_a_notebook_holding_solutions_stops_the_build():
    nb = {"cells": [_code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")]}
    with pytest.raises(SystemExit, match="BEGIN SOLUTION"):
        build.check_no_leak(nb, "solutions/a/a.ipynb")
    build.check_no_leak({"cells": [_code("raise NotImplementedError()")]}, "ok")


def test_the_colab_cell_is_hidden_on_the_page_but_kept_in_the_notebook():
    nb = {"cells": [_code(build.COLAB_MARKER + "\nimport sys"), _code("x = 1")]}
    out = build.hide_colab_cell(build.hide_colab_cell(nb))
    assert out["cells"][0]["metadata"]["tags"] == ["remove-cell"]
    assert out["cells"][1]["metadata"] == {}


def test_the_readme_guides_are_its_sections():
    readme = (ROOT / "README.md").read_text()
    for _title, heading in build.GUIDES.values():
        section = build.readme_section(readme, heading)
        assert section.startswith(heading) and "\n## " not in section

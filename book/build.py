"""Build the course website: ``make site`` (``python book/build.py``).

Sources are laid out in ``build/site-src/`` the way the repository holds them, so that each page's
Colab and hub links (the book theme's launch buttons, book/launch.toml) point at the notebook's
path in the repository:

- ``lectures/NN_topic.ipynb``: the EXECUTED lectures (figures, the explorers' static pictures, the
  "Try this" answers as collapsed ``<details>``). The suite already executes each lecture once and
  leaves it in ``build/lectures/`` (tests/lectures/test_lectures.py, tests/browser/); a copy whose code is
  the committed lecture's is reused, any other lecture is executed here (a fresh clone: once each).
- ``assignments/<id>/<id>.ipynb``: the student releases, as committed (never executed, never a
  solution: a notebook holding solution or hidden-test markers stops the build).
- ``students.md``, ``instructors.md``: the README's guides; ``docs/*.md``; ``changelog.md``.

Then Sphinx with MyST-NB and the book theme (the Jupyter Book 1 stack) writes ``build/site/``,
without executing anything and without anything from the network at read time (MathJax 3,
fetched once with npm, is served from the site itself). Links to repository files that are not pages become links to the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import launch  # noqa: E402

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
#: nbgrader's markers: none may reach the site (the releases never hold them; a test proves it)
LEAKS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
COLAB_MARKER = "# Colab setup (tools/colab_cell.py)"
EXPLORER_NOTE = ("*Interactive explorer: open this notebook in Colab or on the class hub (the rocket "
                 "button above) to move its controls. Shown: {text}*")
#: repository files that land on the site under another name
RENAMED = {"CHANGELOG.md": "changelog.md"}
#: README sections that become pages of the site: {file: (title, the README heading it starts at)}
GUIDES = {"students.md": ("For students", "## For students"),
          "instructors.md": ("For instructors", "## For instructors")}


@dataclass
class Built:
    """What a build did: where the site is, how long it took, which lectures it had to execute."""

    out: Path
    seconds: float
    executed: list[str]
    reused: list[str]


def _text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source


def code_sources(notebook: dict) -> list[str]:
    return [_text(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def is_current(executed: Path, lecture: Path) -> bool:
    """An executed copy is reused only if its code is the committed lecture's, cell for cell."""
    if not executed.is_file():
        return False
    try:
        ran = json.loads(executed.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return False
    return code_sources(ran) == code_sources(json.loads(lecture.read_text(encoding="utf-8")))


def static_explorers(notebook: dict) -> dict:
    """The notebook with each explorer's live widget view replaced by its static picture and a
    one-line note (a static site has no kernel to move the controls), and no saved widget state
    (which would make the page load the widget manager's JavaScript from the network)."""
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                outputs.append(out)
                continue
            if "image/png" in data:
                outputs.append({**out, "data": {"image/png": data["image/png"]}})
                text = _text(data.get("text/plain", "")).strip()
                if text:
                    outputs.append({"output_type": "display_data", "metadata": {},
                                    "data": {"text/markdown": EXPLORER_NOTE.format(text=text)}})
            # a widget view without a picture (a bare control) has nothing to show on a page
        cell["outputs"] = outputs
    notebook.get("metadata", {}).pop("widgets", None)
    return notebook


def hide_colab_cell(notebook: dict) -> dict:
    """The Colab first cell does nothing off Colab: hidden on the page (the launch buttons do its
    job there), kept in the notebook that the page offers for download."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code" and _text(cell["source"]).startswith(COLAB_MARKER):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if "remove-cell" not in tags:
                tags.append("remove-cell")
    return notebook


def check_no_leak(notebook: dict, name: str) -> None:
    for cell in notebook["cells"]:
        for leak in LEAKS:
            if leak in _text(cell["source"]):
                raise SystemExit(f"{name} holds {leak!r}: only student releases go on the site "
                                 "(run `aeutils release`)")


def rewrite_links(markdown: str, page: str, site_files: set[str], settings: launch.Launch) -> str:
    """Relative links of a page that came from ``page`` (a repository path): to a file that is a
    page of the site, kept (relative to where the page lands); to any other repository file, an
    absolute link to it in the repository. External links and anchors are left alone."""
    base = Path(page).parent

    def fix(match: re.Match) -> str:
        label, target = match[1], match[2]
        if re.match(r"[a-z]+:|#|/", target):
            return match[0]
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(base / path).replace(os.sep, "/")
        if resolved in RENAMED:
            new = os.path.relpath(RENAMED[resolved], base).replace(os.sep, "/")
            return f"[{label}]({new}{'#' + anchor if anchor else ''})"
        if resolved in site_files:
            return match[0]
        kind = "tree" if (REPO / resolved).is_dir() else "blob"
        url = f"{settings.repository_url}/{kind}/{settings.branch}/{resolved}"
        return f"[{label}]({url}{'#' + anchor if anchor else ''})"

    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", fix, markdown)


def readme_section(readme: str, heading: str) -> str:
    """The README's section under ``heading`` (a ``## `` line), up to the next ``## `` heading."""
    start = readme.index(heading + "\n")
    end = readme.find("\n## ", start + len(heading))
    return readme[start:end if end != -1 else len(readme)].strip() + "\n"


def _write_json(path: Path, notebook: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def prepare_lectures(src: Path, executed_dir: Path, log) -> tuple[list[str], list[str]]:
    """Executed lectures into ``src/lectures``; returns (executed here, reused) stems."""
    from aeutils import course

    ran, reused = [], []
    for lecture in course.lecture_paths(REPO / "lectures"):
        executed = executed_dir / lecture.name
        if is_current(executed, lecture):
            reused.append(lecture.stem)
        else:
            start = time.perf_counter()
            notebook, _ = course.execute_notebook(lecture)
            course.write_outputs(notebook, executed_dir, lecture.stem)
            ran.append(lecture.stem)
            log(f"executed {lecture.name} in {time.perf_counter() - start:.0f} s")
        notebook = json.loads(executed.read_text(encoding="utf-8"))
        errors = [o for c in notebook["cells"] for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        if errors:
            raise SystemExit(f"{executed} holds an error ({errors[0].get('ename')}: "
                             f"{errors[0].get('evalue')}): fix the lecture, then build again")
        _write_json(src / "lectures" / lecture.name, hide_colab_cell(static_explorers(notebook)))
    return ran, reused


def prepare_assignments(src: Path) -> list[str]:
    ids = []
    for release in sorted((REPO / "assignments").glob("*/*.ipynb")):
        notebook = json.loads(release.read_text(encoding="utf-8"))
        check_no_leak(notebook, str(release.relative_to(REPO)))
        _write_json(src / release.relative_to(REPO), hide_colab_cell(notebook))
        ids.append(release.parent.name)
    return ids


def prepare_pages(src: Path, settings: launch.Launch) -> None:
    """The landing page, the README's guides, docs/ and the changelog, links fixed."""
    docs = sorted((REPO / "docs").glob("*.md"))
    site_files = ({f"docs/{p.name}" for p in docs}
                  | {f"lectures/{p.name}" for p in (REPO / "lectures").glob("*.ipynb")}
                  | {p.relative_to(REPO).as_posix() for p in (REPO / "assignments").glob("*/*.ipynb")})
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, (title, heading) in GUIDES.items():
        body = readme_section(readme, heading).replace(heading, f"# {title}", 1)
        (src / name).write_text(rewrite_links(body, "README.md", site_files, settings),
                                encoding="utf-8")
    for page in docs:
        target = src / "docs" / page.name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = page.read_text(encoding="utf-8")
        target.write_text(rewrite_links(text, f"docs/{page.name}", site_files, settings),
                          encoding="utf-8")
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    (src / "changelog.md").write_text(
        rewrite_links(changelog, "CHANGELOG.md", site_files, settings), encoding="utf-8")
    intro = readme.split("\n## ", 1)[0]  # the title and the first paragraphs
    index = (HERE / "index.md").read_text(encoding="utf-8").replace("{{ intro }}", intro.strip())
    (src / "index.md").write_text(rewrite_links(index, "README.md", site_files, settings),
                                  encoding="utf-8")


MATHJAX = "mathjax@3.2.2"


def fetch_mathjax(cache: Path) -> Path:
    """MathJax 3's browser bundles (es5/) from the npm registry, once (``npm pack``; kept in
    ``cache``): the site serves them itself, so pages need no CDN."""
    es5 = cache / MATHJAX.replace("@", "-") / "es5"
    if (es5 / "tex-svg.js").is_file():
        return es5
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("the site serves MathJax itself and fetches it once with npm, which is not "
                         "installed: install Node.js and npm (Debian: apt-get install npm)")
    download = cache / "npm"
    download.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([npm, "pack", MATHJAX, "--silent", "--pack-destination", str(download)],
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"npm pack {MATHJAX} failed: {result.stderr.strip()[-500:]}")
    with tarfile.open(download / result.stdout.strip().splitlines()[-1]) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("package/es5/")]
        tar.extractall(es5.parent / "tmp", members=members, filter="data")
    shutil.rmtree(es5, ignore_errors=True)
    (es5.parent / "tmp" / "package" / "es5").rename(es5)
    shutil.rmtree(es5.parent / "tmp")
    return es5


def copy_mathjax(src: Path, cache: Path) -> None:
    """MathJax 3's tex-svg.js (SVG output: its glyphs are paths inside it, no font files) and the
    components it may load on demand (TeX extensions, menu, accessibility); the other combined
    bundles, the speech engine and the CommonHTML output are left out."""
    es5 = fetch_mathjax(cache)
    target = src / "_mathjax" / "mathjax"
    target.mkdir(parents=True)
    shutil.copy2(es5 / "tex-svg.js", target)
    for folder in ("input", "ui", "a11y"):
        shutil.copytree(es5 / folder, target / folder)


def build(out: Path, executed_dir: Path, log=print) -> Built:
    start = time.perf_counter()
    settings = launch.load()
    src = out.parent / "site-src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    ran, reused = prepare_lectures(src, executed_dir, log)
    prepare_assignments(src)
    prepare_pages(src, settings)
    copy_mathjax(src, out.parent / "cache")
    shutil.rmtree(out, ignore_errors=True)
    # -W: a broken cross-reference or an unreadable notebook fails the build
    result = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W",
                             "--keep-going", "-c", str(HERE), "-d", str(out.parent / "site-doctrees"),
                             str(src), str(out)], text=True)
    if result.returncode:
        raise SystemExit(f"sphinx-build failed (exit {result.returncode}): see its messages above")
    return Built(out, time.perf_counter() - start, ran, reused)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "site")
    parser.add_argument("--executed", type=Path, default=REPO / "build" / "lectures",
                        help="executed lectures to reuse (what the test suite writes)")
    args = parser.parse_args(argv)
    built = build(args.out.resolve(), args.executed.resolve())
    print(f"site: {built.out} ({folder_bytes(built.out) / 2**20:.1f} MiB) in {built.seconds:.0f} s; "
          f"lectures executed here: {', '.join(built.executed) or 'none'}; reused: "
          f"{', '.join(built.reused) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

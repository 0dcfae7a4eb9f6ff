"""The built website (`make site`), opened in headless Chromium from 127.0.0.1 as a reader would:
every page loads without a console error and without reaching any other host, every image and
internal link resolves, every lecture page shows its figures, the "Try this" answers open and
close, each notebook page launches in Colab and on the class hub, and no solution or hidden test
is anywhere on the site. Screenshots go to build/screenshots/site-*.png.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

REPO = Path(__file__).resolve().parents[2]

sys.path.insert(0, str(REPO / "book"))
import launch  # noqa: E402

LECTURES = sorted(p.stem for p in (REPO / "lectures").glob("[0-9][0-9]_*.ipynb"))
RELEASES = sorted(p.relative_to(REPO).with_suffix("").as_posix()
                  for p in (REPO / "assignments").glob("*/*.ipynb"))


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not p.relative_to(site).as_posix().startswith(("_static/", "_sources/")))


def _visit(browser, url: str, page_path: str) -> tuple[object, list[str]]:
    """Open ``page_path``; returns the page and everything that went wrong while it loaded:
    console errors, page errors, failed or 4xx/5xx requests, requests to any other host."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    host = urlparse(url).netloc

    def route(r):
        if urlparse(r.request.url).netloc not in (host, "") and not r.request.url.startswith(
                ("data:", "blob:", "about:")):
            problems.append(f"requested another host: {r.request.url}")
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    page.goto(f"{url}/{page_path}", wait_until="networkidle")
    return page, problems


def _broken_images(page) -> list[str]:
    return page.evaluate("""() => [...document.images]
        .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src)""")


def _internal_links(page, url: str) -> list[str]:
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    return [h for h in hrefs if h.startswith(url)]


def test_every_page_loads_cleanly_with_its_images_and_links(site, site_url, browser):
    pages = _pages(site)
    expected = {"index.html", "students.html", "instructors.html", "changelog.html",
                *(f"lectures/{s}.html" for s in LECTURES), *(f"{r}.html" for r in RELEASES),
                *(f"docs/{p.stem}.html" for p in (REPO / "docs").glob("*.md"))}
    assert expected <= set(pages), f"pages missing: {sorted(expected - set(pages))}"
    found, checked_links = [], 0
    for path in pages:
        page, problems = _visit(browser, site_url, path)
        found += [f"{path}: {p}" for p in problems]
        found += [f"{path}: image does not load: {src}" for src in _broken_images(page)]
        for link in _internal_links(page, site_url):
            target, _, anchor = unquote(link[len(site_url) + 1:]).partition("#")
            target = target or path
            file = site / target
            if file.is_dir():
                file = file / "index.html"
            checked_links += 1
            if not file.is_file():
                found.append(f"{path}: link to a missing file: {link}")
            elif anchor and file.suffix == ".html" and f'id="{anchor}"' not in file.read_text(
                    encoding="utf-8"):
                found.append(f"{path}: link to a missing anchor: {link}")
        page.close()
    print(f"{len(pages)} pages, {checked_links} internal links checked")
    assert checked_links > len(pages)
    assert not found, "\n".join(found[:40])


def _image_outputs(notebook: Path) -> int:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return sum("image/png" in out.get("data", {}) for c in cells if c["cell_type"] == "code"
               and "remove-cell" not in c.get("metadata", {}).get("tags", [])
               for out in c.get("outputs", []))


def _answers(stem: str) -> int:
    cells = json.loads((REPO / "lectures" / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
    return sum(c["cell_type"] == "markdown" and "<details>" in "".join(c["source"]) for c in cells)


def _check_figures(page, site: Path, stem: str) -> None:
    """As many loaded figures as the executed lecture has image outputs (explorers included, as
    their static picture), and the explorers' note."""
    executed = site.parent / "site-src" / "lectures" / f"{stem}.ipynb"
    wanted = _image_outputs(executed)
    assert wanted > 0, f"{executed} holds no figure: was it executed?"
    shown = page.evaluate("""() => [...document.querySelectorAll('article img')]
        .filter(img => img.naturalWidth > 0 && img.closest('.cell_output')).length""")
    assert shown == wanted, f"{stem}: {shown} figures shown, the executed lecture has {wanted}"
    assert page.locator("text=Interactive explorer").count() >= 1, f"{stem}: no explorer note"


def _check_answers(page, stem: str, screenshot: Path | None) -> None:
    """Each "Try this" answer starts closed, opens on a click on its summary, closes again."""
    details = page.locator("article details")
    assert details.count() == _answers(stem) > 0, f"{stem}: answers on the page != in the lecture"
    for i in range(details.count()):
        answer = details.nth(i)
        body = answer.locator("p").first
        assert answer.evaluate("d => d.open") is False, f"{stem}: answer {i} starts open"
        assert not body.is_visible()
        answer.locator("summary").click()
        assert answer.evaluate("d => d.open") is True and body.is_visible()
        if screenshot and i == 0:
            answer.scroll_into_view_if_needed()
            page.screenshot(path=screenshot)
        answer.locator("summary").click()
        assert answer.evaluate("d => d.open") is False and not body.is_visible()


def _launch_links(page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('a[href]')]
        .filter(a => /colab|git-pull/.test(a.href)).map(a => [
            a.href.includes('git-pull') ? 'hub' : 'colab', a.href]))""")


def _check_launch_links(page, path: str) -> None:
    """Colab and the hub, from book/launch.toml, naming the notebook's path in the repository."""
    settings = launch.load()
    org, repo = settings.github
    assert (REPO / f"{path}.ipynb").is_file()
    links = _launch_links(page)
    assert links.get("colab") == (f"{settings.colab_url}/github/{org}/{repo}/blob/"
                                  f"{settings.branch}/{path}.ipynb"), links
    hub = urlparse(links.get("hub", ""))
    assert f"{hub.scheme}://{hub.netloc}" == settings.hub_url, links
    assert hub.path == "/hub/user-redirect/git-pull", links
    assert parse_qs(hub.query) == {"repo": [settings.repository_url], "branch": [settings.branch],
                                   "urlpath": [f"lab/tree/{repo}/{path}.ipynb"]}, hub.query
    # (the theme's tooltips move each link's title away: find them by their text)
    colab, hub_item = (page.locator(".dropdown-launch-buttons a.dropdown-item", has_text=text)
                       for text in ("Colab", "JupyterHub"))
    assert not colab.is_visible()
    page.locator(".dropdown-launch-buttons button").click()  # the rocket
    assert colab.is_visible() and hub_item.is_visible()


@pytest.mark.parametrize("stem", LECTURES)
def test_lecture_page_figures_answers_and_launch_links(site, site_url, browser, screenshots, stem):
    page, problems = _visit(browser, site_url, f"lectures/{stem}.html")
    assert not problems, problems
    _check_figures(page, site, stem)
    if stem == LECTURES[0]:
        page.locator(".cell_output img").nth(1).scroll_into_view_if_needed()
        page.screenshot(path=screenshots / "site-lecture-figures.png")
    _check_launch_links(page, f"lectures/{stem}")
    page.keyboard.press("Escape")
    _check_answers(page, stem, screenshots / "site-answer-open.png" if stem == LECTURES[0] else None)
    page.close()


@pytest.mark.parametrize("path", RELEASES)
def test_assignment_page_is_the_release_and_launches(site, site_url, browser, screenshots, path):
    page, problems = _visit(browser, site_url, f"{path}.html")
    assert not problems, problems
    _check_launch_links(page, path)
    assert page.locator("text=raise NotImplementedError()").count() >= 1, "not the student version"
    if path == RELEASES[0]:
        page.screenshot(path=screenshots / "site-assignment.png")
    page.close()


def _text_of(notebook: Path) -> str:
    return "\n".join("".join(c["source"])
                     for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"])


def _hidden_lines(source: Path) -> list[str]:
    """Lines inside the solution and hidden-test blocks of an assignment source that no release,
    lecture or guide also shows (`return self.decoder(h)` is no secret where a lecture has
    `return self.decoder(h), h`; a seed line is no secret where another release has it)."""
    public = "\n".join([*(_text_of(p) for p in (REPO / "lectures").glob("*.ipynb")),
                        *(_text_of(p) for p in (REPO / "assignments").glob("*/*.ipynb")),
                        *(p.read_text(encoding="utf-8") for p in (REPO / "docs").glob("*.md")),
                        (REPO / "README.md").read_text(encoding="utf-8")])
    hidden, inside = [], False
    for cell in json.loads(source.read_text(encoding="utf-8"))["cells"]:
        for line in "".join(cell["source"]).splitlines():
            if re.search(r"### BEGIN (SOLUTION|HIDDEN TESTS)", line):
                inside = True
            elif re.search(r"### END (SOLUTION|HIDDEN TESTS)", line):
                inside = False
            elif inside and len(line.strip()) >= 12 and line.strip() not in public:
                hidden.append(line.strip())
    return hidden


def test_no_solution_or_hidden_test_anywhere_on_the_site(site):
    """Every file of the site (pages, search index, downloadable notebooks) against every line of
    every solution and hidden test."""
    import html

    text = "\n".join(html.unescape(p.read_text(encoding="utf-8", errors="replace"))
                     for p in site.rglob("*") if p.is_file()
                     and p.suffix in (".html", ".ipynb", ".js", ".txt", ".md")
                     and "_static" not in p.parts)
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    checked = 0
    for source in sorted((REPO / "solutions").glob("*/*.ipynb")):
        for line in _hidden_lines(source):
            checked += 1
            assert line not in text, f"{source.parent.name}: the site shows {line!r}"
    assert checked > 50, f"only {checked} hidden lines were found to look for"
    print(f"{checked} solution and hidden-test lines looked for, none found")

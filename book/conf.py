"""Sphinx configuration of the course website (`make site`; sources laid out by book/build.py).

Sphinx + MyST-NB + the book theme: the stack of Jupyter Book 1, all from the package index, so the
site builds and reads offline (Jupyter Book 2 downloads its theme from the network when it builds).
Notebooks arrive executed (build.py): nothing is executed here.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launch  # noqa: E402

settings = launch.load()

project = "Autoencoders, hands-on"
author = "the course's authors"
release = version = launch.package_version()
extensions = ["myst_nb"]
exclude_patterns = ["_build", "_mathjax", "**/.ipynb_checkpoints"]

# notebooks: executed beforehand (build.py), shown as they are
nb_execution_mode = "off"
nb_merge_streams = True  # a cell's many tqdm/print lines as one block
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # notebooks start at '# N · Title' and skip levels freely

# MathJax 3 from the site itself (book/build.py copies its bundles into the sources' _mathjax/,
# see setup() below), not from a CDN; SVG output, whose glyphs are inside tex-svg.js
mathjax_path = "mathjax/tex-svg.js"

html_theme = "sphinx_book_theme"
html_title = f"Autoencoders, hands-on {version}"
html_favicon = "favicon.svg"
html_context = {"default_mode": "light"}  # else the theme logs an error on a first visit
html_theme_options = {
    "repository_url": settings.repository_url,
    "repository_branch": settings.branch,
    "path_to_docs": "",  # build.py lays pages out at their repository paths
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {
        "colab_url": settings.colab_url,
        "jupyterhub_url": settings.hub_url,
        "notebook_interface": "jupyterlab" if settings.hub_interface == "jupyterlab" else "classic",
    },
    "navigation_with_keys": False,
}


def setup(app):
    # a relative html_static_path is read from this folder, the MathJax copy is in the sources
    app.config.html_static_path.append(str(Path(app.srcdir) / "_mathjax"))

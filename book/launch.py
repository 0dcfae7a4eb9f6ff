"""The launch settings of book/launch.toml, read by the website (book/conf.py) and by the Colab
first cell of the notebooks (tools/colab_cell.py): one place for both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT = HERE / "launch.toml"


@dataclass(frozen=True)
class Launch:
    """Where the course lives and where learners run it."""

    repository_url: str  # https://github.com/ORG/REPO (Colab opens GitHub repositories only)
    branch: str
    colab_url: str
    install: str  # the pip requirement the Colab cell installs, {version} filled in
    hub_url: str
    hub_interface: str  # "jupyterlab" or "classic"

    @property
    def github(self) -> tuple[str, str]:
        """(org, repo) of the repository URL."""
        match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?",
                             self.repository_url)
        if not match:
            raise ValueError(f"repository.url must be https://github.com/ORG/REPO (Colab opens "
                             f"notebooks from GitHub), got {self.repository_url!r}")
        return match[1], match[2]


def package_version() -> str:
    """aeutils.__version__, read from the source (no import: the site build needs no torch)."""
    text = (REPO / "aeutils" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, flags=re.MULTILINE)[1]


def load(path: Path = DEFAULT) -> Launch:
    """Read and check ``path``; every missing or malformed setting is an error naming it."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        launch = Launch(
            repository_url=data["repository"]["url"].rstrip("/"),
            branch=data["repository"]["branch"],
            colab_url=data["colab"]["url"].rstrip("/"),
            install=data["colab"]["install"].format(version=package_version()),
            hub_url=data["hub"]["url"].rstrip("/"),
            hub_interface=data["hub"].get("interface", "jupyterlab"),
        )
    except KeyError as err:
        raise ValueError(f"{path}: missing setting {err}: see the comments in book/launch.toml"
                         ) from None
    launch.github  # noqa: B018 (checks the repository URL)
    for name in ("colab_url", "hub_url"):
        if not getattr(launch, name).startswith("https://"):
            raise ValueError(f"{path}: {name} must be an https:// URL, got {getattr(launch, name)!r}")
    if launch.hub_interface not in ("jupyterlab", "classic"):
        raise ValueError(f"{path}: hub.interface must be 'jupyterlab' or 'classic', "
                         f"got {launch.hub_interface!r}")
    if not launch.install or any(c in launch.install for c in "\"'\n"):
        raise ValueError(f"{path}: colab.install must be one pip requirement without quotes, "
                         f"got {launch.install!r}")
    return launch

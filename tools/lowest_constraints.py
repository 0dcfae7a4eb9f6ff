"""Print a pip constraints file that pins every dependency of pyproject.toml to its lowest allowed
version (the `>=` bound), for `make test-lowest`.

Why a constraints file and not a resolver flag: pip has no "lowest" resolution, and the one
dependency that must not be resolved from the registry (torch: its lowest release there is a
multi-GB CUDA build) is installed first from the pinned CPU build, so its line here is that pin.
Only direct dependencies are pinned; what they need is resolved as usual. An extra that names the
project itself (``aeutils[lab,instructor]``) is expanded, and a package required twice (the core's
``ipywidgets>=7.7``, the lab extra's ``ipywidgets>=8.0``) is pinned to the higher bound, the one an
install with that extra must meet.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    sys.exit("lowest_constraints.py needs Python 3.11+ (tomllib); run it with .venv/bin/python")

TORCH_PIN = "torch==2.13.0"
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$")


def _key(name: str) -> str:
    return name.lower().replace("_", "-")


def requirements(project: dict, extras: tuple[str, ...]) -> list[str]:
    """The core requirements and those of ``extras``, with self-referencing extras expanded."""
    optional = project.get("optional-dependencies", {})
    found, todo, seen = list(project["dependencies"]), list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        if extra not in optional:
            raise ValueError(f"pyproject.toml has no extra {extra!r}")
        seen.add(extra)
        for req in optional[extra]:
            match = REQUIREMENT.match(req)
            if match and _key(match.group(1)) == _key(project["name"]):
                todo += [e.strip() for e in (match.group(2) or "[]")[1:-1].split(",") if e.strip()]
            else:
                found.append(req)
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def lowest_pins(pyproject: Path, extras: tuple[str, ...] = ("dev",)) -> list[str]:
    """``name==lowest`` for each requirement of the project and the given extras (sorted)."""
    project = tomllib.loads(pyproject.read_text())["project"]
    lowest: dict[str, str] = {}
    for req in requirements(project, extras):
        match = REQUIREMENT.match(req)
        if not match:
            raise ValueError(f"cannot parse requirement {req!r}")
        name, _, spec = match.groups()
        key = _key(name)
        if key == "torch":
            continue
        lower = re.search(r">=\s*([0-9][^,;\s]*)", spec)
        if not lower:
            raise ValueError(f"{req!r} has no lower bound (>=): every dependency needs one")
        if key not in lowest or _version_key(lower.group(1)) > _version_key(lowest[key]):
            lowest[key] = lower.group(1)
    pins = {key: f"{key}=={version}" for key, version in lowest.items()}
    pins["torch"] = TORCH_PIN
    return [pins[k] for k in sorted(pins)]


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(lowest_pins(root / "pyproject.toml")))

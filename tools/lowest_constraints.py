"""Print a pip constraints file that pins every dependency of pyproject.toml to its lowest allowed
version (the `>=` bound), for `make test-lowest`.

Why a constraints file and not a resolver flag: pip has no "lowest" resolution, and the one
dependency that must not be resolved from the registry (torch: its lowest release there is a
multi-GB CUDA build) is installed first from the pinned CPU build, so its line here is that pin.
Only direct dependencies are pinned; what they need is resolved as usual.
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


def lowest_pins(pyproject: Path, extras: tuple[str, ...] = ("dev",)) -> list[str]:
    """``name==lowest`` for each requirement of the project and the given extras (sorted)."""
    project = tomllib.loads(pyproject.read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project.get("optional-dependencies", {}).get(extra, [])
    pins = {}
    for req in requirements:
        match = REQUIREMENT.match(req)
        if not match:
            raise ValueError(f"cannot parse requirement {req!r}")
        name, _, spec = match.groups()
        key = name.lower().replace("_", "-")
        if key == "torch":
            pins[key] = TORCH_PIN
            continue
        lower = re.search(r">=\s*([0-9][^,;\s]*)", spec)
        if not lower:
            raise ValueError(f"{req!r} has no lower bound (>=): every dependency needs one")
        pins[key] = f"{key}=={lower.group(1)}"
    return [pins[k] for k in sorted(pins)]


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    print("\n".join(lowest_pins(root / "pyproject.toml")))

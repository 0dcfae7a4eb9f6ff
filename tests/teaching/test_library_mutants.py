"""The fast unit tests catch every planted bug of ``library_mutants.py`` (issue 24, item 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]



def test_every_planted_bug_in_the_library_core_fails_its_test(tmp_path):
    # a child process: the runner must not find this process's already imported aeutils
    out = tmp_path / "mutants.json"
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "teaching" / "library_mutants.py"), "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    records = json.loads(out.read_text())
    assert len(records) >= 20
    missed = [f"{r['name']}: {r['outcome']}\n{r['detail'][-800:]}" for r in records if r["outcome"] != "failed"]
    assert not missed, "\n\n".join(missed)
    assert proc.returncode == 0, proc.stdout + proc.stderr

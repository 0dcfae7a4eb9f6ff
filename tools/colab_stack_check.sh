#!/usr/bin/env bash
# make test-colab: the released package, installed the way learners get it, on Colab's versions.
#  1. `python -m build`: a wheel and an sdist (the sdist must build the same files as the wheel);
#  2. a stand-in for Colab: a fresh virtual environment with Python 3.11 and torch 2.13 CPU (the
#     closest to Colab's 3.13 and 2.11 that install here) and Colab's published versions of
#     everything else (tools/colab_pins.txt: ipywidgets 7.7.1, numpy 2.1.3, mlxtend 0.23.4, ...);
#     pip resolves the wheel there without changing any of them (--dry-run), and the notebooks'
#     Colab first cell (tools/colab_cell.py), run under a stand-in `google.colab` module with the
#     wheel as its install source, adds aeutils and changes nothing else; pip check;
#  3. in a folder outside the repository: `aeutils doctor`, lectures 00 and 03 (the explorers) and
#     the ae1 solution (the grading helpers) executed headless, and tests/teaching/test_widgets.py.
# Prints the exact versions it installed. Everything lands in build/colab/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
PY=${COLAB_PYTHON:-python3.11}
OUT=$REPO/build/colab
VENV=$OUT/venv
LECTURES=${COLAB_LECTURES:-"00_recipe 03_sparse"}
ASSIGNMENT=${COLAB_ASSIGNMENT:-ae1_bottleneck}
export PYDEVD_DISABLE_FILE_VALIDATION=1  # ipykernel's debugger notes about frozen modules
start=$SECONDS
step() { echo "== [$((SECONDS - start)) s] $*"; }

# The stand-in venv (tools/colab_env.sh, `make colab-env`) is kept between runs while the pins
# and the Python are the same (a fresh clone, as in CI, always builds it); everything else is made
# anew.
mkdir -p "$OUT"  # a fresh clone has no build/colab yet
find "$OUT" -mindepth 1 -maxdepth 1 ! -name venv -exec rm -rf {} +
mkdir -p "$OUT/dist" "$OUT/sdist-wheel"
step "python -m build (wheel + sdist)"
.venv/bin/python -m build --outdir "$OUT/dist" . > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
rm -rf build/lib build/bdist.* # setuptools' scratch folders, beside the course's build outputs
wheel=$(ls "$OUT"/dist/aeutils-*.whl)
sdist=$(ls "$OUT"/dist/aeutils-*.tar.gz)
ls -l "$OUT/dist"

step "the sdist builds the same package as the wheel"
.venv/bin/python -m pip wheel --quiet --no-deps -w "$OUT/sdist-wheel" "$sdist"
.venv/bin/python - "$wheel" "$OUT"/sdist-wheel/aeutils-*.whl <<'PY'
import sys, zipfile
a, b = (sorted(n for n in zipfile.ZipFile(p).namelist() if not n.endswith("RECORD")) for p in sys.argv[1:])
assert a == b, f"wheel and sdist differ: {sorted(set(a) ^ set(b))}"
print(f"same {len(a)} files")
PY

step "a stand-in for Colab: fresh venv ($($PY --version)), torch 2.13 CPU, Colab's own packages"
COLAB_PYTHON=$PY tools/colab_env.sh
"$VENV/bin/python" -m pip uninstall --quiet --yes aeutils 2>/dev/null || true
"$VENV/bin/python" -m pip freeze > "$OUT/before.txt"

step "the wheel's requirements resolve on Colab's versions: pip would install aeutils and nothing else"
"$VENV/bin/python" -m pip install --quiet --dry-run --report "$OUT/dry-run.json" "$wheel" \
  -c tools/colab_pins.txt
"$VENV/bin/python" - "$OUT/dry-run.json" <<'PY'
import json, sys
names = [i["metadata"]["name"] for i in json.load(open(sys.argv[1]))["install"]]
assert names == ["aeutils"], f"installing the wheel would also install or replace {names}"
print("would install: aeutils")
PY

work=$(mktemp -d)  # notebooks run here, outside the repository
trap 'rm -rf "$work"' EXIT

step "the notebooks' Colab cell, run under a stand-in google.colab, installs the wheel"
mkdir -p "$OUT/stub/google/colab"
: > "$OUT/stub/google/__init__.py"
: > "$OUT/stub/google/colab/__init__.py"
printf 'enabled = []\n\n\ndef enable_custom_widget_manager():\n    enabled.append(True)\n' \
  > "$OUT/stub/google/colab/output.py"
.venv/bin/python tools/colab_cell.py --print --install "$wheel" > "$OUT/colab_cell.py"
(cd "$work" && PYTHONPATH="$OUT/stub" "$VENV/bin/python" - "$OUT/colab_cell.py" <<'PY'
import sys
import nbformat
from nbclient import NotebookClient

cell = open(sys.argv[1]).read()
check = ("import aeutils, google.colab.output as out\n"
         "assert out.enabled, 'the widget manager was not enabled'\n"
         "assert 'site-packages' in aeutils.__file__, aeutils.__file__\n"
         "print('aeutils', aeutils.__version__, 'from', aeutils.__file__)")
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s)
                                     for s in ("import google.colab", cell, check)])
NotebookClient(nb, timeout=600, kernel_name="python3").execute()
print("".join(o.get("text", "") for o in nb.cells[2].outputs), end="")
PY
)
"$VENV/bin/python" -m pip freeze > "$OUT/after.txt"
changed=$(diff "$OUT/before.txt" "$OUT/after.txt" | grep '^[<>]' || true)
echo "what the cell changed: $changed"
if [ "$(echo "$changed" | sed -E 's/ *(==| @ ).*//')" != "> aeutils" ]; then
  echo "the Colab cell must add aeutils and change nothing else" >&2; exit 1
fi
"$VENV/bin/python" -m pip check
echo "installed:"
grep -i -E '^(aeutils|torch|numpy|ipywidgets|widgetsnbextension|matplotlib|scikit-learn|scikit-image|scipy|mlxtend|pandas|tqdm|threadpoolctl|ipykernel|ipython|nbclient|notebook)[=@ ]' \
  "$OUT/after.txt" | sed 's/^/  /'
for pkg in jupyterlab nbgrader; do
  if grep -qi "^$pkg==" "$OUT/after.txt"; then
    echo "$pkg was installed: the core dependencies must not need it" >&2; exit 1
  fi
done

for name in $LECTURES; do cp "lectures/$name.ipynb" "$work/"; done
cp -r "solutions/$ASSIGNMENT/." "$work/"
cp tests/teaching/test_widgets.py "$work/"
cp tools/execute_outside.py "$OUT/"
cd "$work"
step "aeutils doctor (in $work)"
"$VENV/bin/aeutils" doctor
step "notebooks, headless"
"$VENV/bin/python" "$OUT/execute_outside.py" $(for name in $LECTURES; do echo "$name.ipynb"; done) "$ASSIGNMENT.ipynb"
step "tests/teaching/test_widgets.py on ipywidgets $("$VENV/bin/python" -c 'import ipywidgets; print(ipywidgets.__version__)')"
printf "[pytest]\n" > pytest.ini
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -p no:warnings test_widgets.py
step "done: the Colab stack and the wheel pass"

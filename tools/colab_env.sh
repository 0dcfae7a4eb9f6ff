#!/usr/bin/env bash
# `make colab-env`: the stand-in for Colab that tools/colab_stack_check.sh tests the wheel in
# (build/colab/venv): a fresh virtual environment with Python 3.11 and torch 2.13 CPU, and Colab's
# published versions of everything else (tools/colab_pins.txt). Kept while the pins and the Python
# are the same; built anew otherwise. CI builds it while `make test` runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${COLAB_PYTHON:-python3.11}
VENV=build/colab/venv
key="$($PY --version) $(md5sum tools/colab_pins.txt | cut -d' ' -f1)"
if [ "$(cat "$VENV/.colab-key" 2>/dev/null)" == "$key" ]; then
  echo "colab_env: $VENV is up to date ($key)"
  exit 0
fi
rm -rf "$VENV"
mkdir -p build/colab
$PY -m venv "$VENV"
# torch's own requirements (filelock, fsspec, ...) at Colab's versions too
"$VENV/bin/python" -m pip install --quiet -c tools/colab_pins.txt torch==2.13.0 numpy \
  ipywidgets matplotlib scikit-learn scikit-image scipy pandas tqdm mlxtend threadpoolctl \
  ipykernel ipython nbclient nbformat notebook pytest
echo "$key" > "$VENV/.colab-key"
echo "colab_env: built $VENV ($key)"

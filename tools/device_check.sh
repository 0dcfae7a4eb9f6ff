#!/usr/bin/env bash
# The GPU check a maintainer runs on a machine with a CUDA GPU (under 8 minutes there):
#   tools/device_check.sh                  # --device cuda: everything, into build/device_check.txt
#   tools/device_check.sh --device cpu --quick   # the same path on a CPU (what the test runs)
# 1. every assignment's model solution (the release with the solutions' answers written in)
#    graded with `aeutils grade --device DEVICE` (must score full points) and every untouched
#    student release (must score zero), in a throw-away copy of the course;
# 2. each lecture's time on DEVICE (`aeutils course`, AEUTILS_DEVICE=DEVICE);
# 3. `make bench` (tools/bench.py --skip-course) on the CPU and on DEVICE, and the CPU/DEVICE ratio
#    per case. The CPU bench runs in the background from the start (one torch thread, CPU
#    seconds), beside steps 1-2 on the GPU, to stay within the time.
# Everything goes to one file (--out, default build/device_check.txt); exit 1 if a check fails.
# --quick: only ae1_bottleneck and lecture 00, and no bench (for the test on a CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
DEVICE=cuda
QUICK=0
OUT=$REPO/build/device_check.txt
JOBS=${JOBS:-$(( $(nproc) > 8 ? 8 : $(nproc) ))}
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    *) echo "usage: $0 [--device cuda|cpu] [--quick] [--out FILE]" >&2; exit 2 ;;
  esac
done
case "$DEVICE" in cuda|cpu) ;; *) echo "--device must be cuda or cpu, got $DEVICE" >&2; exit 2 ;; esac
BIN=$REPO/.venv/bin
[ -x "$BIN/aeutils" ] || { echo "no .venv: run 'make setup' first" >&2; exit 2; }
export PATH=$BIN:$PATH  # nbgrader calls alembic through PATH
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$(dirname "$OUT")"
: > "$OUT"
start=$SECONDS
failed=0
say() { echo "$*" | tee -a "$OUT"; }
step() { say ""; say "== [$((SECONDS - start)) s] $*"; }

say "device check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), device $DEVICE$([ $QUICK = 1 ] && echo ', quick')"
if [ "$DEVICE" = cuda ]; then
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$OUT"
  "$BIN/python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'torch sees no CUDA GPU: use --device cpu')"
fi
"$BIN/aeutils" doctor --no-data | tee -a "$OUT"

if [ $QUICK = 1 ]; then
  IDS=ae1_bottleneck; LECTURES=00_recipe
else
  IDS=$(cd solutions && ls -d */ | tr -d /); LECTURES=""
  if [ "$DEVICE" = cuda ]; then
    AEUTILS_DEVICE=cpu "$BIN/python" tools/bench.py --skip-course --out "$WORK/bench-cpu.json" \
      > "$WORK/bench-cpu.log" 2>&1 &
    CPU_BENCH=$!
  fi
fi

step "grading with --device $DEVICE ($JOBS jobs): solutions must score full points, releases zero"
mkdir -p "$WORK/course" "$WORK/submitted"
cp nbgrader_config.py "$WORK/course/"
for id in $IDS; do
  mkdir -p "$WORK/course/solutions" "$WORK/course/assignments"
  cp -r "solutions/$id" "$WORK/course/solutions/"
  cp -r "assignments/$id" "$WORK/course/assignments/"
  mkdir -p "$WORK/submitted/solution/$id" "$WORK/submitted/release"
  cp -r "assignments/$id" "$WORK/submitted/release/"
  # the release with the model answers written in, as a student hands it in
  "$BIN/python" tools/device_report.py solution "assignments/$id/$id.ipynb" \
    "solutions/$id/$id.ipynb" "$WORK/submitted/solution/$id/$id.ipynb"
done
chmod -R a+rX "$WORK"  # the sandboxed kernels run as an unprivileged uid
"$BIN/aeutils" --course "$WORK/course" grade "$WORK/submitted" --device "$DEVICE" --jobs "$JOBS" \
  --out "$WORK/grades.csv" 2>&1 | tail -3 | tee -a "$OUT" || failed=1
"$BIN/python" tools/device_report.py grades "$WORK/grades.csv" | tee -a "$OUT" || failed=1

step "each lecture on $DEVICE"
AEUTILS_DEVICE=$DEVICE "$BIN/aeutils" course --out "$WORK/lectures" $LECTURES 2>&1 \
  | grep -E '^\[|lectures ran' | tee -a "$OUT" || failed=1
grep -q "FAILED" "$OUT" && failed=1

if [ $QUICK = 0 ] && [ "$DEVICE" = cuda ]; then
  step "make bench on cuda (tools/bench.py --skip-course)"
  AEUTILS_DEVICE=cuda "$BIN/python" tools/bench.py --skip-course --out "$WORK/bench-cuda.json" 2>&1 \
    | tee -a "$OUT" || failed=1
  step "make bench on the CPU (ran in the background)"
  wait "$CPU_BENCH" || failed=1
  cat "$WORK/bench-cpu.log" >> "$OUT"
  step "CPU/GPU ratio per case"
  "$BIN/python" tools/device_report.py bench "$WORK/bench-cpu.json" "$WORK/bench-cuda.json" \
    | tee -a "$OUT" || failed=1
else
  step "bench: skipped ($([ $QUICK = 1 ] && echo '--quick' || echo 'no GPU to compare with'))"
fi

elapsed=$((SECONDS - start))
step "done in $elapsed s: $([ $failed = 0 ] && echo 'every check passed' || echo 'SOME CHECK FAILED')"
[ "$DEVICE" = cuda ] && [ $QUICK = 0 ] && [ $elapsed -gt 480 ] && say "WARNING: over the 8-minute budget"
say "written to $OUT"
exit $failed

#!/usr/bin/env bash
# Usage: references/evaluate_recognizer.sh WEIGHTS OUT [BASELINE]
# The measurement a recognizer experiment reports (docs/experiments/README.md), in one place:
#   1. WEIGHTS (a .safetensors file or a run's checkpoints/*.ckpt) stored in fp16 and its
#      confidence calibrated (Platt) on data/calib_heldout40, as shipped weights are:
#      OUT/weights.safetensors;
#   2. read on the real set (../shared/data/real-dev) greedy without the width stretch
#      (OUT/real_greedy) and by default, beam + Korean LM (OUT/real), and by default on both
#      held-out sets (OUT/h7, OUT/h27); each directory holds eval's report and predictions.csv;
#   3. with BASELINE (the OUT of an earlier run of this script): paired McNemar tests, set by set.
# Needs references/evaluation_sets.sh first. Run from the repository root; OMP_NUM_THREADS
# (default 2) sets the threads. Logs go to OUT/*.log; the summary to the terminal.
set -euo pipefail
if (($# < 2 || $# > 3)); then
  sed -n 2,12p "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
weights=$1 out=$2 baseline=${3:-}
krocr=${KROCR:-.venv/bin/krocr} python=${PYTHON:-.venv/bin/python}
real=${KROCR_REAL_DEV:-../shared/data/real-dev}
sets=(real_greedy real h7 h27)
[[ -x $krocr && -d benchmarks ]] || { echo "run from the repository root (no $krocr or benchmarks/ here)" >&2; exit 2; }
for set in "${sets[@]}"; do  # before hours of reading, not after
  if [[ -n $baseline && ! -f $baseline/$set/predictions.csv ]]; then
    echo "BASELINE $baseline has no $set/predictions.csv: give the OUT of an earlier run of this script" >&2
    exit 2
  fi
done
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
mkdir -p "$out"
: > "$out/export.log"
if [[ $weights == *.ckpt ]]; then  # a run's checkpoint becomes a weights file first
  "$krocr" export "$weights" --out "$out/fp32.safetensors" >> "$out/export.log"
  weights=$out/fp32.safetensors
fi
"$krocr" export "$weights" --half --out "$out/half.safetensors" >> "$out/export.log"
"$krocr" calibrate "$out/half.safetensors" --data data/calib_heldout40 --method platt \
  --out "$out/weights.safetensors" > "$out/calibrate.log"
"$krocr" eval "$real" --weights "$out/weights.safetensors" --lm none --no-stretch --out "$out/real_greedy" > "$out/real_greedy.log"
"$krocr" eval "$real" --weights "$out/weights.safetensors" --lm ko --out "$out/real" > "$out/real.log"
"$krocr" eval data/heldout_ko/test.lmdb --weights "$out/weights.safetensors" --lm ko --gallery 0 --out "$out/h7" > "$out/h7.log"
"$krocr" eval data/heldout_ko27/test.lmdb --weights "$out/weights.safetensors" --lm ko --gallery 0 --out "$out/h27" > "$out/h27.log"
summarise() {  # summarise METRICS_JSON: its word accuracy and CER on one line
  "$python" - "$1" <<'PY'
import json, sys
overall = json.load(open(sys.argv[1]))["overall"]
print(f"word accuracy {overall['word_accuracy']:.2%} · CER {overall['cer']:.2%}")
PY
}
for set in "${sets[@]}"; do
  line=$(summarise "$out/$set/metrics.json")  # an assignment of its own, so a failure stops the script
  echo "== $set: $line"
  if [[ -n $baseline ]]; then
    "$python" benchmarks/paired_compare.py "$baseline/$set" "$out/$set"
  fi
done

#!/usr/bin/env bash
# Usage: references/evaluation_sets.sh
# Renders the synthetic sets every recognizer experiment is measured on, in fonts no model
# trains on (--fonts heldout), as docs/experiments name them:
#   data/heldout_ko      held-out designs, seed 7 (3,000 crops)
#   data/heldout_ko27    held-out designs, seed 28: a second draw, so a choice made on one is checked on the other
#   data/calib_heldout40 where confidence calibration (krocr calibrate) and candidate choices are fitted
# A finished set is kept (delete it to render it again); a half-rendered one (no
# synth_summary.json, which synth writes last) is rendered again. Run from the repository root.
set -euo pipefail
krocr=${KROCR:-.venv/bin/krocr}
[[ -x $krocr ]] || { echo "run from the repository root (no $krocr here)" >&2; exit 2; }
render() {  # render OUT SEED
  if [[ -f $1/synth_summary.json ]]; then echo "$1: exists, kept"; return; fi
  "$krocr" synth --lang ko --count 3000 --seed "$2" --fonts heldout --split test --out "$1" --overwrite
}
render data/heldout_ko 7
render data/heldout_ko27 28
render data/calib_heldout40 40

#!/usr/bin/env bash
# Usage: references/evaluation_sets.sh
# Renders the synthetic sets every recognizer experiment is measured on, in fonts no model
# trains on (--fonts heldout), as docs/experiments name them:
#   data/heldout_ko      held-out designs, seed 7 (3,000 crops)
#   data/heldout_ko27    held-out designs, seed 28: a second draw, so a choice made on one is checked on the other
#   data/calib_heldout40 where confidence calibration (krocr calibrate) and candidate choices are fitted
# A set that exists is kept (delete it to render it again). Run from the repository root.
set -euo pipefail
krocr=${KROCR:-.venv/bin/krocr}
render() {  # render OUT SEED
  if [[ -d $1 ]]; then echo "$1: exists, kept"; return; fi
  "$krocr" synth --lang ko --count 3000 --seed "$2" --fonts heldout --split test --out "$1"
}
render data/heldout_ko 7
render data/heldout_ko27 28
render data/calib_heldout40 40

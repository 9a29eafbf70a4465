#!/usr/bin/env bash
# The main job (`make quickstart`): render a small Korean signboard dataset as annotated
# scene photos, import and crop it, fine-tune with focal CTC (from the shipped English
# weights with frozen early layers), early-stop, evaluate on held-out
# fonts, and write curves, galleries and an HTML report under runs/quickstart/.
# About three minutes on a 2-core CPU with native bf16, about fifteen without (fp32).
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_ALBUMENTATIONS_UPDATE=1
KROCR=${KROCR:-.venv/bin/krocr}
OUT=runs/quickstart
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$OUT" && mkdir -p "$OUT"

step "1/6 render 150 Korean signboard scenes with ICDAR 2015 word boxes"
$KROCR synth --lang ko --scenes --count 150 --seed 0 --out "$OUT/ko_scenes"

step "2/6 import the scenes: validate boxes, warp each word upright, split by photo"
$KROCR data --format icdar2015 --annotations "$OUT/ko_scenes/scenes/gt" --images "$OUT/ko_scenes/scenes/images" \
  --source scenes --out "$OUT/ko_scenes_data"

step "3/6 render extra Korean word crops (training fonts) and a held-out-font test set"
$KROCR synth --lang ko --count 4000 --val-fraction 0.05 --seed 1 --out "$OUT/ko_crops"
$KROCR synth --lang ko --count 300 --seed 2 --fonts heldout --split test --out "$OUT/ko_heldout"

step "4/6 fine-tune from the shipped English weights (focal CTC, conv1_1…conv4_1 frozen, early stopping)"
$KROCR train configs/quickstart.yaml --run-dir "$OUT/run"

step "5/6 evaluate on fonts the model never saw"
$KROCR eval --weights "$OUT/run/best.safetensors" "$OUT/ko_heldout" --split test --out "$OUT/run/eval"

step "6/6 HTML report"
$KROCR report "$OUT/run" --out "$OUT/report.html"
printf '\nDone. Open %s (curves: %s, galleries: %s)\n' "$OUT/report.html" "$OUT/run/curves.png" "$OUT/run/eval/"

#!/usr/bin/env bash
# Set-up on a fresh Debian machine, one printed step at a time:
#
#   scripts/setup.sh          fonts and background photos for the renderer, then .venv with the
#                             CPU build of torch and krocr (what `make quickstart` needs)
#   scripts/setup.sh test     + chromium: the test suite opens `krocr report`'s page in a headless
#                             browser (what `make test` needs)
#   scripts/setup.sh bench    + Tesseract 5 with Korean: the benchmarks read the same crops with it
#
# Debian packages install only as root with apt-get; otherwise each missing one is named and
# the features that need it skip with a message. torch is pinned to the CPU build before
# anything else, so no dependency pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
step() { printf 'setup [%3ds] %s\n' "$((SECONDS - started))" "$*"; }

FONTS=(
  fonts-nanum fonts-nanum-extra fonts-noto-cjk fonts-noto-cjk-extra fonts-unfonts-core fonts-baekmuk
  fonts-dejavu-core fonts-liberation2
  fonts-urw-base35 fonts-open-sans fonts-roboto-unhinted fonts-comic-neue fonts-dancingscript
)
# photos without text and paper textures behind synthetic scenes (krocr.synth.backgrounds
# names the files used; ~160 MB); without them scenes fall back to drawn backgrounds
BACKGROUNDS=(mate-backgrounds lomiri-wallpapers-16.04 plasma-workspace-wallpapers mypaint-data-extras)
TEST_TOOLS=(chromium)
BENCH_TOOLS=(tesseract-ocr tesseract-ocr-kor)

wanted=("${FONTS[@]}" "${BACKGROUNDS[@]}")
for group in "$@"; do
  case $group in
    test) wanted+=("${TEST_TOOLS[@]}") ;;
    bench) wanted+=("${BENCH_TOOLS[@]}") ;;
    *) echo "setup: unknown group '$group' (use: test, bench)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  step "Debian packages: all ${#wanted[@]} present"
elif [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  step "Debian packages: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  step "Debian packages: warning: missing ${missing[*]} (not root, or no apt-get); rendering falls back" \
       "to the fonts present, and tests that need a missing tool skip, naming it" >&2
fi

PYTHON=${PYTHON:-python3}
if [[ -x .venv/bin/python ]]; then
  step "virtual environment: .venv exists"
else
  step "virtual environment: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
step "pip: upgrading"
.venv/bin/python -m pip install -q --upgrade pip
step "torch: the CPU build, torch==2.13.0"
.venv/bin/python -m pip install -q "torch==2.13.0"
step "krocr: installing it and its dependencies (editable, with the dev tools)"
.venv/bin/python -m pip install -q -e ".[dev]"
step "done: $(du -sh .venv | cut -f1) in .venv"

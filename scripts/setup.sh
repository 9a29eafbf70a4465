#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: system packages (fonts for the synthetic data
# renderer) when we are root with apt-get, then .venv with the CPU build of torch pinned
# first so that nothing pulls a multi-GB CUDA build, then krocr itself.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  fonts-nanum fonts-nanum-extra fonts-noto-cjk fonts-unfonts-core fonts-baekmuk
  fonts-dejavu-core fonts-liberation2
  fonts-urw-base35 fonts-open-sans fonts-roboto-unhinted fonts-comic-neue fonts-dancingscript
  chromium tesseract-ocr tesseract-ocr-kor
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: warning: missing Debian packages ${missing[*]} (not root or no apt-get);" \
         "font-dependent features fall back to pip fonts or skip" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[dev]"

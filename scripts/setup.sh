#!/usr/bin/env bash
# Installs what the product and its tests need on a fresh Debian 12 machine:
# Debian packages, a virtualenv with the pinned Python packages, and the
# front-end files the console serves itself. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

missing=()
for package in espeak-ng sox debootstrap chromium faketime; do
  installed "$package" || missing+=("$package")
done
# Node.js may come from elsewhere than Debian; only npm's presence matters.
command -v npm >/dev/null || missing+=(nodejs npm)

if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: install these Debian packages as root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

bash scripts/install-assets.sh

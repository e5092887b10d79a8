#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and install urbsim with its pinned dependencies.
# Idempotent: re-running only reinstalls when requirements.lock or pyproject.toml changed.
# --tests also installs Debian's chromium for the browser tests (apt-get, as root or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  local c v
  for c in python3.13 python3.12 python3; do
    if command -v "$c" >/dev/null 2>&1 && ok "$c"; then command -v "$c"; return 0; fi
  done
  # pyenv shims refuse versions that are installed but not selected: ask pyenv directly.
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])' | sort -rV); do
      c="$(pyenv root)/versions/$v/bin/python3"
      if [ -x "$c" ] && ok "$c"; then echo "$c"; return 0; fi
    done
  fi
  for c in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    if [ -x "$c" ] && ok "$c"; then echo "$c"; return 0; fi
  done
  return 1
}

if [ -x .venv/bin/python ] && ok .venv/bin/python; then
  :
else
  PY="$(find_python)" || { echo "setup: no Python >= 3.12 found (tried python3.13, python3.12, python3, pyenv)" >&2; exit 1; }
  echo "setup: creating .venv with $("$PY" --version) ($PY)" >&2
  rm -rf .venv
  "$PY" -m venv .venv
fi

stamp=.venv/.urbsim-installed
want="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing pinned dependencies (requirements.lock)" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi
# Byte-compile urbsim as pip does for a regular install: an editable one leaves it to Python,
# which writes nothing where PYTHONDONTWRITEBYTECODE is set (then every process compiled all
# of urbsim's source again: 0.05 s of a cold run). Only changed files are compiled.
.venv/bin/python -m compileall -q -j 0 src/urbsim >/dev/null

if [ "${1:-}" = "--tests" ] && ! command -v chromium >/dev/null 2>&1; then
  # Playwright drives Debian's chromium (executable_path); it never downloads a browser.
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
    echo "setup: installing Debian's chromium for the browser tests" >&2
    $SUDO apt-get update -qq >/dev/null && \
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null || \
      echo "setup: could not install chromium; the browser tests will be skipped" >&2
  else
    echo "setup: no apt-get: install chromium yourself; the browser tests will be skipped" >&2
  fi
fi

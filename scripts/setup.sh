#!/usr/bin/env bash
# Installs what the tests need on a Debian machine that has Python 3.11+, then nothing else:
#   Debian: chromium, nginx, fonts-noto-cjk, zbar-tools, a Java runtime (and node/npm when missing)
#   .venv/ with `pip install -e '.[test]'`
#   scripts/node_modules/ with `npm ci` (vnu-jar, axe-core, lighthouse; versions pinned in scripts/package-lock.json)
# Idempotent and quick when everything is in place: each step checks before it installs.
# Usage: bash scripts/setup.sh && .venv/bin/python -m pytest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- Debian packages (only the missing ones; apt-get update only when something is missing)
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] || need+=(libnginx-mod-http-brotli-static)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need+=(python3-venv)
fi
if [ "${#need[@]}" -gt 0 ]; then
  say "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "${need[@]}" >/dev/null
else
  say "Debian packages present"
fi

# ---- Python: .venv with the project and its test extras (re-run when pyproject.toml changes)
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.yunzhan-pyproject.sha256
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! .venv/bin/python -c 'import yunzhan, pytest, playwright' >/dev/null 2>&1; then
  say "pip install -e '.[test]'"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  echo "$want" > "$stamp"
else
  say ".venv up to date"
fi

# ---- npm tools for scripts/audit.py (re-run when the lock file changes). --ignore-scripts: vnu-jar's
# postinstall would fetch a Java runtime from the internet when none is found; Debian's is used instead.
stamp=scripts/node_modules/.yunzhan-lock.sha256
want=$(sha256sum scripts/package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -f scripts/node_modules/vnu-jar/build/dist/vnu.jar ]; then
  say "npm ci --prefix scripts"
  npm ci --prefix scripts --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  say "scripts/node_modules up to date"
fi

say "java: $(java -version 2>&1 | head -1); node: $(node --version); chromium: $(chromium --version 2>/dev/null | head -1)"

#!/usr/bin/env bash
# Creates .venv-tools (at the repository root) with the pinned reference stack of
# Tools/requirements.txt, then fer with --no-deps, then Tools/requirements-serve.txt (the
# FastAPI baseline of `ferdemo serve`, with requirements.txt as constraints so that none of
# its pins move). Idempotent: does nothing when the venv already matches the pins.
# Quiet unless something fails (then the pip log is shown).
# Works as root on a fresh Debian 12 (installs python3-venv via apt only if needed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=.venv-tools
REQ=Tools/requirements.txt
REQ_SERVE=Tools/requirements-serve.txt
FER_PIN="fer==25.10.3"   # installed with --no-deps, see Tools/requirements.txt

want="$( { cat "$REQ"; echo "$FER_PIN"; cat "$REQ_SERVE"; } | sha256sum | cut -d' ' -f1)"
stamp="$VENV/.requirements.sha256"
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        echo "setup_venv: python3 -m venv failed; installing python3-venv" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$VENV"
    fi
fi

log="$VENV/pip-install.log"
if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r "$REQ" &&
       "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --no-deps "$FER_PIN" &&
       "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -c "$REQ" -r "$REQ_SERVE"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup_venv: pip install failed (log: $log)" >&2
    exit 1
fi
echo "$want" >"$stamp"

#!/usr/bin/env bash
# Creates .venv-tools (at the repository root) with the pinned reference stack of
# Tools/requirements.txt, then fer with --no-deps, then Tools/requirements-serve.txt (the
# FastAPI baseline of `ferdemo serve`, with requirements.txt as constraints so that none of
# its pins move). With --train it also installs Tools/requirements-train.txt (PyTorch, for
# `make train` and Tools/make_fernet_goldens.py) with --no-deps: that file lists torch's whole
# dependency closure except setuptools (torch declares setuptools>=77, needed only to build C++
# extensions; requirements.txt pins 65.5.0 because fer imports pkg_resources).
# Idempotent: does nothing when the venv already matches the pins.
# Quiet unless something fails (then the pip log is shown).
# Works as root on a fresh Debian 12 (installs python3-venv via apt only if needed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=.venv-tools
REQ=Tools/requirements.txt
REQ_SERVE=Tools/requirements-serve.txt
REQ_TRAIN=Tools/requirements-train.txt
FER_PIN="fer==25.10.3"   # installed with --no-deps, see Tools/requirements.txt
TRAIN=0
[ "${1:-}" = "--train" ] && TRAIN=1

want="$( { cat "$REQ"; echo "$FER_PIN"; cat "$REQ_SERVE"; } | sha256sum | cut -d' ' -f1)"
stamp="$VENV/.requirements.sha256"
want_train="$(sha256sum <"$REQ_TRAIN" | cut -d' ' -f1)"
stamp_train="$VENV/.requirements-train.sha256"
install_train() {
    [ "$TRAIN" = 1 ] || return 0
    [ -f "$stamp_train" ] && [ "$(cat "$stamp_train")" = "$want_train" ] && return 0
    echo "setup_venv: installing PyTorch (Tools/requirements-train.txt, about 5 GB with its CUDA libraries)" >&2
    local tlog="$VENV/pip-install-train.log"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --no-deps -r "$REQ_TRAIN" >"$tlog" 2>&1; then
        cat "$tlog" >&2
        echo "setup_venv: pip install of Tools/requirements-train.txt failed (log: $tlog)" >&2
        exit 1
    fi
    echo "$want_train" >"$stamp_train"
}
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    install_train
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
install_train

#!/usr/bin/env bash
# Installs the Debian packages FERCore builds against, only those that are missing.
# Run as root on Debian 12 (the README's `make demo` / `make test` call it; `make bench` adds --bench).
set -euo pipefail

packages=(pkg-config libv4l-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
          libjpeg62-turbo-dev libsdl2-dev xvfb x11-apps
          curl python3-venv chromium)
# curl, python3-venv and chromium: make test's check of `ferdemo serve` (Tools/test_serve.sh:
# schemathesis in its own venv, the live page in headless Chromium).
# The benchmarks compare FERCore's kernels with OpenBLAS's SGEMM peak; FERCore itself does not link it.
# wrk: Tools/compare_serve.py's load generator.
if [ "${1:-}" = "--bench" ]; then packages+=(libopenblas-dev wrk); fi
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup_system: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "setup_system: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "setup_system: no 'swift' on PATH; FERCore needs Swift 6.3 (https://www.swift.org/install/linux/)" >&2
    exit 1
fi

#!/usr/bin/env bash
# Tests a running `ferdemo serve` against its own OpenAPI document (GET /openapi.yaml) with
# schemathesis, then sends it real face images (the astronaut of the test fixtures) and checks
# those answers against the same document. Exits non-zero on any failure.
#
#   ferdemo serve --port 8091 &                 # cwd: the repository (for Weights/ and Samples/)
#   Tools/test_serve_api.sh http://127.0.0.1:8091
#   Tools/test_serve_api.sh http://127.0.0.1:8091 --max-examples 200 --phases coverage
#
#   export FERCORE_TOKEN=secret                 # the same variable ferdemo serve reads
#   ferdemo serve --port 8092 & Tools/test_serve_api.sh http://127.0.0.1:8092
#
# Environment:
#   FERCORE_TOKEN            the server's token (--token or $FERCORE_TOKEN): sent as
#                            `Authorization: Bearer ...`, and the ignored_auth check then verifies
#                            that a request without it, or with a wrong one, gets 401. Unset: the
#                            server must have no token; auth is then not tested (a server without
#                            a token accepts anyone).
#   SCHEMATHESIS_MAX_EXAMPLES  fuzzed cases per operation (default 40; the deterministic coverage
#                            phase's boundary cases come on top).
#   SCHEMATHESIS_SEED        the seed (default 20251202): the same seed against the same server
#                            sends the same requests.
#   SCHEMATHESIS_REPORT_DIR  where the JUnit XML and the HAR log of every request and response go
#                            (default .build/serve-api-report).
#
# /v1/stream is excluded from the fuzzing: it is a WebSocket, which schemathesis cannot speak.
# Needs python3 with venv (Debian 12: python3-venv, installed here when missing) and PyPI:
# schemathesis and its dependencies are pinned in Tools/requirements-schemathesis.txt and
# installed in .venv-schemathesis at the repository root, kept in step with that file.
set -euo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 BASE_URL [SCHEMATHESIS_RUN_OPTION...]   (for example http://127.0.0.1:8091)" >&2
    exit 2
fi
base=${1%/}
shift
extra=("$@")   # passed on to `schemathesis run`, after the script's own options
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

venv=.venv-schemathesis
req=Tools/requirements-schemathesis.txt
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-40}
seed=${SCHEMATHESIS_SEED:-20251202}
report_dir=${SCHEMATHESIS_REPORT_DIR:-$root/.build/serve-api-report}

# --- the venv, created or brought in step with the pins ---------------------------------------
want=$(sha256sum "$req" | cut -d' ' -f1)
stamp=$venv/.requirements.sha256
if ! { [ -x "$venv/bin/schemathesis" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }; then
    if [ ! -x "$venv/bin/python" ]; then
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            rm -rf "$venv"
            if [ "$(id -u)" -ne 0 ]; then
                echo "test_serve_api: python3 -m venv failed; install python3-venv (apt-get install python3-venv)" >&2
                exit 1
            fi
            echo "test_serve_api: python3 -m venv failed; installing python3-venv" >&2
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >/dev/null
            apt-get install -y -qq python3-venv >/dev/null
            python3 -m venv "$venv"
        fi
    fi
    log=$venv/pip-install.log
    echo "test_serve_api: installing schemathesis into $venv (log: $log)"
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -r "$req" >"$log" 2>&1; then
        cat "$log" >&2
        echo "test_serve_api: pip install failed" >&2
        exit 1
    fi
    echo "$want" >"$stamp"
fi

# --- configuration that has no command-line flag ----------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# positive_data_acceptance: a request that matches the schema must be accepted. For an image
# body the schema can only say "bytes", so random bytes match it, and the server is right to
# answer them 422 undecodable_image: 422 is accepted here, and so is 413 (a valid upload may
# decode to more than --max-pixels). Everything else is schemathesis's default list; 415 is not
# in it on purpose: a request with a documented Content-Type must never get it.
cat >"$work/schemathesis.toml" <<'EOF'
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "413", "422", "429", "5xx"]
EOF

# The document marks /v1/* and /metrics as needing the bearer token, which a server started
# without --token does not ask for: then schemathesis neither makes up Authorization headers nor
# expects a 401 without one (--generation-with-security-parameters false), and skips ignored_auth.
# schemathesis sends a raw-bytes body only for the media types it has a serializer for:
# application/octet-stream and image/jpeg, png, gif, webp (as random bytes or a 1x1 image of
# that format). image/bmp and image/tiff are given the same serializer, so that they are sent too.
cat >"$work/hooks.py" <<'EOF'
import schemathesis

schemathesis.serializer.alias(["image/bmp", "image/tiff"], "application/octet-stream")
EOF

auth=(--generation-with-security-parameters false --exclude-checks ignored_auth)
if [ -n "${FERCORE_TOKEN:-}" ]; then
    auth=(--header "Authorization: Bearer $FERCORE_TOKEN")
fi

mkdir -p "$report_dir"
echo "test_serve_api: schemathesis $("$venv/bin/schemathesis" --version | awk '{print $NF}') against $base" \
     "(seed $seed, $max_examples examples per operation; reports in $report_dir)"

# Run in the scratch directory, so that nothing (a .hypothesis folder, a report) lands in the tree.
# Deterministic: a fixed seed, no example database carried between runs, one request at a time.
# --checks all: besides the conformance checks, invalid input must be rejected (4xx), valid
# input accepted, undeclared methods answered 405 with Allow, and (with a token) requests
# without it or with a wrong one 401. --continue-on-failure: every failure of an operation is
# reported, not only its first. The phases are schemathesis's defaults: examples (none in the
# document), coverage (boundary and invalid values of each parameter, undeclared methods,
# wrong content types, no body), fuzzing (--max-examples per operation); stateful needs links,
# which this API has none of.
status=0
(
    cd "$work"
    SCHEMATHESIS_HOOKS="$work/hooks.py" "$root/$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base/openapi.yaml" \
        --url "$base" \
        --wait-for-schema 30 \
        --exclude-path /v1/stream \
        --checks all \
        --max-examples "$max_examples" \
        --seed "$seed" \
        --generation-database none \
        --workers 1 \
        --request-timeout 60 \
        --suppress-health-check too_slow,filter_too_much \
        --continue-on-failure \
        --report junit,har --report-dir "$report_dir" \
        "${auth[@]}" "${extra[@]}"
) || status=$?

# --- real images: the 200 answers, which random bytes never reach -------------------------------
# schemathesis sends random bytes and 1x1 images; a face is needed to see a `faces` entry. The
# astronaut (skimage, public domain) is in the emotion fixtures as raw RGB; it is written as PNG
# and BMP here with the standard library, and its 48x48 face crop as PNG for /v1/classify.
echo "test_serve_api: real images (astronaut, PNG/BMP/octet-stream, every model, flip on and off)"
FERCORE_SERVE_URL=$base "$venv/bin/python" - "$root/Tests/Fixtures/emotion/astronaut_faces.safetensors" <<'EOF' || status=1
import json, os, struct, sys, zlib

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance)

base = os.environ["FERCORE_SERVE_URL"]
token = os.environ.get("FERCORE_TOKEN")
headers = {"Authorization": f"Bearer {token}"} if token else {}
checks = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


def tensors(path):
    blob = open(path, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, t in header.items():
        if name != "__metadata__":
            start, end = t["data_offsets"]
            out[name] = (t["shape"], blob[8 + n + start:8 + n + end])
    return out


def png(width, height, channels, pixels):
    rows = b"".join(b"\0" + pixels[y * width * channels:(y + 1) * width * channels] for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, {1: 0, 3: 2}[channels], 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


def bmp(width, height, rgb):
    stride = (width * 3 + 3) & ~3
    rows = []
    for y in reversed(range(height)):
        row = bytearray(rgb[y * width * 3:(y + 1) * width * 3])
        row[0::3], row[2::3] = row[2::3], row[0::3]  # RGB -> BGR
        rows.append(bytes(row) + b"\0" * (stride - width * 3))
    data = b"".join(rows)
    return (b"BM" + struct.pack("<IHHI", 54 + len(data), 0, 0, 54)
            + struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(data), 2835, 2835, 0, 0) + data)


schemathesis.serializer.alias(["image/bmp", "image/tiff"], "application/octet-stream")
t = tensors(sys.argv[1])
(h, w, _), rgb = t["astronaut.rgb"]
(ch, cw), crop = t["crop.gray48"]
photo_png, photo_bmp, face_png = png(w, h, 3, rgb), bmp(w, h, rgb), png(cw, ch, 1, crop)

schema = schemathesis.openapi.from_url(f"{base}/openapi.yaml", headers=headers)
analyze, classify = schema["/v1/analyze"]["POST"], schema["/v1/classify"]["POST"]
labels = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
failures = 0


def check_probabilities(what, result):
    p = result["probabilities"]
    total = sum(p.values())
    best = max(labels, key=lambda k: p[k])
    problems = []
    if abs(total - 1) > 1e-3:
        problems.append(f"probabilities sum to {total}")
    if p[result["label"]] < p[best] - 1e-6:
        problems.append(f"label {result['label']} is not the most probable ({best})")
    if abs(result["confidence"] - p[result["label"]]) > 1e-4:
        problems.append(f"confidence {result['confidence']} != probabilities[{result['label']}] {p[result['label']]}")
    return [f"{what}: {x}" for x in problems]


def run(operation, body, media_type, query, expect):
    global failures
    case = operation.Case(body=body, media_type=media_type, query=query)
    what = f"POST {operation.path}?{'&'.join(f'{k}={v}' for k, v in query.items())} ({media_type}, {len(body)} bytes)"
    try:
        response = case.call_and_validate(base_url=base, headers=headers, checks=checks)
    except Exception as error:  # a FailureGroup: its text is schemathesis's report with a curl command
        failures += 1
        print(f"FAIL {what}\n{error}\n")
        return
    problems = []
    if response.status_code != 200:
        problems.append(f"{what}: status {response.status_code}, expected 200: {response.text[:300]}")
    else:
        problems += expect(what, response.json())
    for p in problems:
        failures += 1
        print(f"FAIL {p}")
    if not problems:
        print(f"ok   {what}: {response.elapsed * 1e3:.0f} ms")


def expect_astronaut(what, r):
    problems = []
    if (r["width"], r["height"]) != (w, h):
        problems.append(f"{what}: size {r['width']}x{r['height']}, expected {w}x{h}")
    if len(r["faces"]) != 1:
        problems.append(f"{what}: {len(r['faces'])} faces, expected the astronaut's one")
    for face in r["faces"]:
        problems += check_probabilities(what, face)
    return problems


def expect_crop(what, r):
    problems = []
    if (r["width"], r["height"]) != (cw, ch):
        problems.append(f"{what}: size {r['width']}x{r['height']}, expected {cw}x{ch}")
    return problems + check_probabilities(what, r)


for model in ["mini-xception", "fernet", "fernet-int8"]:
    for flip in ["false", "true"]:
        run(analyze, photo_png, "image/png", {"model": model, "flip": flip, "min_face": 40}, expect_astronaut)
        run(classify, face_png, "image/png", {"model": model, "flip": flip}, expect_crop)
run(analyze, photo_bmp, "image/bmp", {}, expect_astronaut)
run(analyze, photo_png, "application/octet-stream", {}, expect_astronaut)
run(classify, face_png, "application/octet-stream", {}, expect_crop)
print(f"real images: {failures} failure(s)")
sys.exit(1 if failures else 0)
EOF

if [ "$status" -ne 0 ]; then
    echo "test_serve_api: FAILED (schemathesis's report above; every request and response: $report_dir)" >&2
fi
exit "$status"

#!/usr/bin/env bash
# Builds Tests/ConsumerPackage — a package that depends on FERCore as a user's package does —
# with a plain `swift build -c release` (no flags), and checks it.
#
#   Tools/check_consumer_build.sh --check            the plain build runs the kernels the CPU
#                                                    supports and gives the expected results (make test)
#   Tools/check_consumer_build.sh --speed [ROUNDS]   and compares its speed, in alternating rounds,
#                                                    with the same program built with the Makefile's
#                                                    former flags (-march=x86-64-v3): fails when the
#                                                    plain build is more than 10 % slower (make bench)
#   add --versioned to depend on FERCore by version (a tagged local clone) instead of by path.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
MODE=check
ROUNDS=5
VERSIONED=0
for arg in "$@"; do
    case "$arg" in
        --check) MODE=check ;;
        --speed) MODE=speed ;;
        --versioned) VERSIONED=1 ;;
        [0-9]*) ROUNDS=$arg ;;
        *) echo "usage: $0 [--check | --speed [ROUNDS]] [--versioned]" >&2; exit 2 ;;
    esac
done

WORK=$(mktemp -d /tmp/fercore-consumer.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -r Tests/ConsumerPackage "$WORK/consumer"
if [ "$VERSIONED" = 1 ]; then
    # A clone of this checkout tagged with FERCore's version, depended on by URL and version.
    VERSION=$(sed -n 's/.*public static let string = "\(.*\)".*/\1/p' Sources/FERCore/Concurrency/FERCoreVersion.swift)
    git clone -q "$ROOT" "$WORK/FERCore"
    git -C "$WORK/FERCore" tag "$VERSION"
    sed -i "s|.package(name: \"FERCore\", path: \"../..\")|.package(url: \"file://$WORK/FERCore\", from: \"$VERSION\")|" \
        "$WORK/consumer/Package.swift"
else
    sed -i "s|path: \"../..\"|path: \"$ROOT\"|" "$WORK/consumer/Package.swift"
fi

build() { # $1 scratch name, rest: extra flags
    local scratch=$1; shift
    (cd "$WORK/consumer" && swift build -c release --scratch-path "$WORK/$scratch" "$@" > "$WORK/$scratch.log" 2>&1) || {
        tail -40 "$WORK/$scratch.log"; echo "check_consumer_build: the build ($scratch) failed" >&2; exit 1; }
    echo "$WORK/$scratch/release/fercore-consumer"
}

echo "check_consumer_build: building the consumer package with plain 'swift build -c release'$([ $VERSIONED = 1 ] && echo ' (FERCore by version)')"
PLAIN=$(build plain)
INFO=$("$PLAIN" --info)
echo "  $INFO"
read -r _ CURRENT _ SUPPORTED _ DEBUG <<< "$INFO"
if [ "$CURRENT" != "$SUPPORTED" ] || [ "$DEBUG" != "false" ]; then
    echo "check_consumer_build: the plain build runs '$CURRENT' kernels on a CPU that supports '$SUPPORTED' (debug $DEBUG)" >&2
    exit 1
fi
RESULT=$("$PLAIN" --bench "$ROOT" 0.2)
echo "  $RESULT"
# The astronaut is happy (Keras: 0.998) and MTCNN finds its one face in the first frame.
echo "$RESULT" | grep -q '"label": "happy"' && echo "$RESULT" | grep -q '"faces": 1,' || {
    echo "check_consumer_build: unexpected results from the plain build" >&2; exit 1; }
[ "$MODE" = check ] && { echo "check_consumer_build: ok"; exit 0; }

echo "check_consumer_build: building the same program with -Xswiftc -Xcc -Xswiftc -march=x86-64-v3 (the Makefile's former flags)"
FLAGGED=$(build flagged -Xswiftc -Xcc -Xswiftc -march=x86-64-v3)
python3 - "$PLAIN" "$FLAGGED" "$ROOT" "$ROUNDS" <<'PY'
import json, statistics, subprocess, sys
plain, flagged, root, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
keys = ["emotion_ms_min", "detect_ms_min", "pipeline_ms_min"]
ratios = {k: [] for k in keys}
for r in range(rounds):
    # Alternating rounds, so that load from elsewhere falls on both builds.
    a = json.loads(subprocess.run([plain, "--bench", root, "2"], capture_output=True, text=True, check=True).stdout)
    b = json.loads(subprocess.run([flagged, "--bench", root, "2"], capture_output=True, text=True, check=True).stdout)
    print("  round %d: plain %s | flagged %s" % (r + 1, {k: a[k] for k in keys}, {k: b[k] for k in keys}))
    for k in keys:
        ratios[k].append(a[k] / b[k])
worst = 0.0
for k in keys:
    m = statistics.median(ratios[k])
    worst = max(worst, m)
    print("  %-16s plain / flagged = %.3f (median of %d rounds)" % (k, m, rounds))
if worst > 1.10:
    print("check_consumer_build: the plain build is more than 10 %% slower (%.3f)" % worst, file=sys.stderr)
    sys.exit(1)
print("check_consumer_build: ok (plain within %.1f %% of flagged)" % ((worst - 1) * 100))
PY

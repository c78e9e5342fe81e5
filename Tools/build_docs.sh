#!/usr/bin/env bash
# Builds the DocC documentation of FERCore and FERMedia with the toolchain's own `docc` and
# fails on any warning (broken links, undocumented parameters). Symbol graphs come from a
# release build of the two libraries in .build-docs (its own scratch directory, so the test
# and demo builds are untouched). Output: .build-docs/docs/<Module>.doccarchive.
#
# Why not swift-docc-plugin: the plugin must be a dependency in Package.swift, and every
# package that depends on FERCore would then resolve it too; the toolchain's docc does the
# same conversion without touching the dependency graph.
#
# Usage: bash Tools/build_docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
DOCC=${DOCC:-$(dirname "$(command -v "$SWIFT")")/docc}
[ -x "$DOCC" ] || DOCC=$(command -v docc)
out=.build-docs
# The compiler writes a module's symbol graph only when it compiles the module, so the raw
# graphs are kept between runs (an up-to-date module keeps its current graph) and copied.
rm -rf "$out/symbol-graphs" "$out/docs"
mkdir -p "$out/symbol-graphs-raw" "$out/symbol-graphs" "$out/docs"
echo "build_docs: symbol graphs (release build of FERCore and FERMedia; log in $out/build.log)"
"$SWIFT" build -c release --scratch-path "$out" --target FERMedia \
    -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$out/symbol-graphs-raw" \
    -Xswiftc -symbol-graph-minimum-access-level -Xswiftc public > "$out/build.log" 2>&1 \
    || { tail -30 "$out/build.log"; echo "build_docs: the build failed"; exit 1; }
status=0
for module in FERCore FERMedia; do
    mkdir -p "$out/symbol-graphs/$module"
    cp "$out/symbol-graphs-raw/$module"*.symbols.json "$out/symbol-graphs/$module/"
    log="$out/docs/$module.log"
    if ! "$DOCC" convert "Sources/$module/$module.docc" --fallback-display-name "$module" \
        --fallback-bundle-identifier "org.fercore.$module" --additional-symbol-graph-dir "$out/symbol-graphs/$module" \
        --output-path "$out/docs/$module.doccarchive" --warnings-as-errors > "$log" 2>&1; then
        grep -E "warning|error" -A3 "$log" | head -60
        echo "build_docs: $module's documentation has warnings or errors (above; all in $log)"
        status=1
    else
        echo "build_docs: $module: no warnings ($out/docs/$module.doccarchive)"
    fi
done
exit $status

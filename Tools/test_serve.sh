#!/usr/bin/env bash
# `ferdemo serve` as users run it, over loopback (run by `make test` after `swift test`):
#   1. start the server on a free port, wait for /healthz;
#   2. a slow body (headers, then a few bytes, then nothing) gets 408 after --timeout;
#   3. schemathesis checks every HTTP operation against /openapi.yaml (Tools/test_serve_api.sh);
#   4. headless Chromium opens the live page, which plays the sample clip through the WebSocket,
#      and must draw results (Tools/test_serve_browser.py; screenshot in .build-test/serve-page.png);
#   5. SIGTERM stops the server cleanly (exit status 0).
# Usage: Tools/test_serve.sh [path/to/ferdemo]   (default: the test build's)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${1:-.build-test/release/ferdemo}
OUT=.build-test
mkdir -p "$OUT"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
"$BIN" serve --port "$port" --threads 2 --timeout 2 > "$OUT/serve.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; }
trap cleanup EXIT
for _ in $(seq 300); do
    if curl -sf "$url/healthz" > /dev/null; then break; fi
    kill -0 "$pid" 2> /dev/null || { cat "$OUT/serve.log"; echo "test_serve: the server did not start"; exit 1; }
    sleep 0.1
done
curl -sf "$url/healthz" > /dev/null || { cat "$OUT/serve.log"; echo "test_serve: no /healthz answer after 30 s"; exit 1; }
echo "test_serve: server up at $url"

python3 - "$port" << 'PY'
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 1000\r\n\r\n" + b"\xff\xd8\xff" * 3)
t = time.time()
s.settimeout(15)
reply = s.recv(4096).decode("latin-1")
waited = time.time() - t
status = reply.split(" ")[1] if " " in reply else reply
assert status == "408" and '"code":"request_timeout"' in reply, f"test_serve: slow body: expected 408 request_timeout, got {reply!r}"
assert 1.5 <= waited <= 6, f"test_serve: 408 came after {waited:.1f} s, expected about 2 s (--timeout 2)"
print(f"test_serve: slow body answered 408 after {waited:.1f} s")
PY

bash Tools/test_serve_api.sh "$url"
python3 Tools/test_serve_browser.py --url "$url/" --screenshot "$OUT/serve-page.png"

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
trap - EXIT
[ "$status" -eq 0 ] || { cat "$OUT/serve.log"; echo "test_serve: after SIGTERM the server exited with status $status, expected 0"; exit 1; }
echo "test_serve: SIGTERM stopped the server cleanly"

#!/usr/bin/env python3
"""Real-browser test of `ferdemo serve`'s live page (Sources/FERServe/LivePage.swift).

Starts headless Chromium (Debian's `chromium` package; nothing else is started: the server must
already be running at --url), opens the page, and drives it through the Chrome DevTools Protocol
over a WebSocket written here with the standard library alone. The browser has no camera (no
fake device is asked for), so the page must fall back to the sample clip `/sample.mp4`, stream its
frames to `/v1/stream` and draw the results. The test polls `window.ferStats` until at least
--min-results results and one face have arrived, checks that no more than one frame was ever in
flight, saves a screenshot, prints the page's state as JSON and exits 0. On a timeout or a failed
check it still saves the screenshot, prints the page's state, console messages and Chromium's log,
and exits 1. Exit 2: Chromium could not be started (apt-get install -y chromium).

    python3 Tools/test_serve_browser.py --url http://127.0.0.1:8090/ --screenshot /tmp/serve.png
"""

import argparse
import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


class WebSocket:
    """A minimal RFC 6455 client: text frames out (masked), text/binary frames in, no extensions."""

    def __init__(self, url, timeout=30.0):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "ws":
            raise ValueError("only ws:// URLs: " + url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        request = (f"GET {path} HTTP/1.1\r\nHost: {u.hostname}:{u.port or 80}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the WebSocket handshake was cut short")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise ConnectionError("WebSocket handshake refused: " + lines[0])
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            raise ConnectionError("bad Sec-WebSocket-Accept in the handshake")

    def _send_frame(self, opcode, payload):
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("the WebSocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """The next whole message (str for text, bytes for binary); answers pings on the way."""
        message, kind = b"", None
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise ConnectionError("the WebSocket was closed by the other end")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode in (0x1, 0x2):
                kind = opcode
            message += payload
            if b0 & 0x80:
                return message.decode() if kind == 0x1 else message

    def settimeout(self, seconds):
        self.sock.settimeout(seconds)

    def close(self):
        try:
            self._send_frame(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


class CDP:
    """Chrome DevTools Protocol calls over one page target's WebSocket; events are kept in a list."""

    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.events = []

    def call(self, method, timeout=30.0, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to {method} in {timeout:.0f} s")
            self.ws.settimeout(left)
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression, timeout=30.0):
        r = self.call("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("page script failed: " + json.dumps(r["exceptionDetails"])[:500])
        return r.get("result", {}).get("value")

    def console_lines(self):
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled":
                args = (str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                out.append(f"console.{p.get('type')}: " + " ".join(args))
            elif e["method"] == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: " + str(d.get("exception", {}).get("description") or d.get("text")))
            elif e["method"] == "Log.entryAdded":
                en = p.get("entry", {})
                out.append(f"log.{en.get('level')}: {en.get('text')} {en.get('url', '')}".rstrip())
        return out


# The page's state, as one JSON-able value (ferStats without the bulky last result, plus what
# is on screen and the state of the <video>).
STATE_JS = r"""(() => {
  const s = window.ferStats || null, v = document.querySelector('video');
  const t = (id) => { const e = document.getElementById(id); return e ? e.textContent : null; };
  const r = s && s.lastResult;
  return {
    title: document.title,
    ready: document.readyState,
    stats: s && { sent: s.sent, received: s.received, facesSeen: s.facesSeen, errors: s.errors, abandoned: s.abandoned,
                  source: s.source, lastError: s.lastError },
    lastResult: r && { frame: r.frame, width: r.width, height: r.height, timings_ms: r.timings_ms,
                       faces: (r.faces || []).map((f) => ({ id: f.id, box: f.box, lost: f.lost, label: f.label,
                                                            confidence: f.confidence })) },
    shown: { results: t('results'), status: t('status'), error: t('error'), conn: t('conn') },
    video: v && { readyState: v.readyState, currentTime: v.currentTime, width: v.videoWidth, height: v.videoHeight,
                  src: v.currentSrc, error: v.error && (v.error.code + ' ' + v.error.message),
                  h264: v.canPlayType('video/mp4; codecs="avc1.42E01E"') }
  };
})()"""


def find_chromium(explicit):
    for name in ([explicit] if explicit else ["chromium", "chromium-browser", "/usr/lib/chromium/chromium", "google-chrome"]):
        path = shutil.which(name) if os.sep not in name else (name if os.access(name, os.X_OK) else None)
        if path:
            return path
    return None


def start_chromium(binary, profile, log, width, height, extra):
    args = [binary, "--headless=new", "--no-sandbox", "--remote-debugging-port=0", f"--user-data-dir={profile}",
            "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream",
            "--no-first-run", "--no-default-browser-check", "--disable-dev-shm-usage", "--mute-audio", "--disable-crash-reporter",
            "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows", f"--window-size={width},{height}", *extra, "about:blank"]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with status {proc.returncode} before it was ready")
        try:
            with open(port_file) as f:
                lines = f.read().split("\n")
            if len(lines) >= 2 and lines[0].strip().isdigit():
                return proc, int(lines[0])
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("chromium wrote no DevToolsActivePort in 60 s")


def page_target(port):
    deadline = time.monotonic() + 20
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        pages = [t for t in targets if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
        if pages:
            return pages[0]["webSocketDebuggerUrl"]
        if time.monotonic() > deadline:
            raise RuntimeError("chromium has no page target")
        time.sleep(0.2)


def screenshot(cdp, path):
    try:
        data = cdp.call("Page.captureScreenshot", timeout=30, format="png", captureBeyondViewport=False)["data"]
    except Exception as e:  # the diagnosis must not hide the failure that asked for it
        print(f"test_serve_browser: no screenshot ({e})", file=sys.stderr)
        return False
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with open(path, "wb") as f:
        f.write(base64.b64decode(data))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="the live page, e.g. http://127.0.0.1:8090/")
    ap.add_argument("--screenshot", default=os.path.join(tempfile.gettempdir(), "ferserve_browser.png"),
                    help="PNG written at the end, pass or fail (default: %(default)s)")
    ap.add_argument("--min-results", type=int, default=20, help="results the page must receive (default 20)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds to wait for them, from navigation (default 60)")
    ap.add_argument("--expect-source", choices=["sample", "camera", "any"], default="sample",
                    help="the source the page must end up using (default sample: the browser has no camera)")
    ap.add_argument("--chromium", default=None, help="the browser binary (default: chromium on PATH)")
    ap.add_argument("--window", default="1280x860", help="viewport WIDTHxHEIGHT (default 1280x860)")
    ap.add_argument("--chromium-arg", action="append", default=[], metavar="ARG",
                    help="one more Chromium flag, e.g. --chromium-arg=--use-fake-device-for-media-stream "
                    "(with --expect-source camera)")
    a = ap.parse_args()
    width, height = (int(x) for x in a.window.lower().split("x"))

    binary = find_chromium(a.chromium)
    if not binary:
        print("test_serve_browser: no chromium found; install Debian's with: apt-get install -y chromium", file=sys.stderr)
        return 2
    profile = tempfile.mkdtemp(prefix="ferserve-chromium-")
    log_path = os.path.join(profile, "chromium.log")
    log = open(log_path, "wb")
    proc = None
    cdp = None
    try:
        try:
            proc, port = start_chromium(binary, profile, log, width, height, a.chromium_arg)
            cdp = CDP(page_target(port))
        except Exception as e:
            log.flush()
            print(f"test_serve_browser: could not start {binary}: {e}", file=sys.stderr)
            print(tail(log_path), file=sys.stderr)
            return 2
        for domain in ("Page", "Runtime", "Log"):
            cdp.call(domain + ".enable")
        cdp.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        started = time.monotonic()
        nav = cdp.call("Page.navigate", url=a.url)
        if nav.get("errorText"):
            print(f"test_serve_browser: cannot load {a.url}: {nav['errorText']} (is the server running?)", file=sys.stderr)
            return 1

        state, problem = None, None
        while True:
            try:
                state = cdp.evaluate(STATE_JS)
            except (RuntimeError, TimeoutError) as e:  # e.g. while the page is still loading
                state = {"evaluate_error": str(e)}
            s = (state or {}).get("stats") or {}
            if s:
                # The page's side of backpressure: never more than one frame without its reply.
                if s["sent"] > s["received"] + s["errors"] + s["abandoned"] + 1:
                    problem = ("more than one frame in flight: sent {sent}, received {received}, errors {errors}, "
                               "abandoned {abandoned}").format(**s)
                    break
                video = state.get("video") or {}
                if s["source"] == "sample" and video.get("error"):
                    problem = (f"the browser cannot play {video.get('src')}: {video['error']} (Chromium plays H.264, VP8/VP9 "
                               "and AV1; not MPEG-4 Part 2)")
                    break
                if s["received"] >= a.min_results and s["facesSeen"] >= 1:
                    if a.expect_source != "any" and s["source"] != a.expect_source:
                        problem = f"the page used the {s['source']} source, expected {a.expect_source}"
                    elif state["title"] != f"FERCore live — {s['received']} results":
                        problem = f"unexpected title {state['title']!r}"
                    break
            if time.monotonic() - started > a.timeout:
                got = f"{s.get('received')} results and {s.get('facesSeen')} faces" if s else "no window.ferStats"
                problem = f"timed out after {a.timeout:.0f} s waiting for {a.min_results} results and 1 face; got {got}"
                break
            time.sleep(0.5)

        shot = screenshot(cdp, a.screenshot)
        state = dict(state or {}, elapsed_s=round(time.monotonic() - started, 1), screenshot=a.screenshot if shot else None)
        print(json.dumps(state, indent=2, ensure_ascii=False))
        if problem:
            print("test_serve_browser: FAILED: " + problem, file=sys.stderr)
            for line in cdp.console_lines()[-30:]:
                print("  page " + line, file=sys.stderr)
            log.flush()
            print(tail(log_path), file=sys.stderr)
            return 1
        print(f"test_serve_browser: OK: {state['stats']['received']} results, {state['stats']['facesSeen']} face(s), "
              f"source {state['stats']['source']}, screenshot {a.screenshot}")
        return 0
    finally:
        if cdp is not None:
            try:
                cdp.ws.settimeout(5)
                cdp.ws.close()
            except OSError:
                pass
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        log.close()
        shutil.rmtree(profile, ignore_errors=True)


def tail(path, n=25):
    try:
        with open(path, errors="replace") as f:
            # Chromium's complaints about the missing D-Bus are noise in a container.
            lines = [ln for ln in f.read().splitlines() if ln.strip() and ":ERROR:dbus/" not in ln]
    except OSError:
        return ""
    return "chromium log (last lines):\n" + "\n".join("  " + ln for ln in lines[-n:])


def _stop(signum, _frame):
    # SIGTERM or SIGHUP (make's timeout, a closed terminal): unwind so that `finally` stops Chromium.
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    sys.exit(main())

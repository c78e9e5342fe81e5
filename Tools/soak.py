#!/usr/bin/env python3
"""A long headless ferdemo run with its memory sampled: the soak of Docs/Reliability.md.

    .venv-tools/bin/python Tools/soak.py --ferdemo .build/release/ferdemo --frames 100000

1. Makes a long clip in /tmp, unless --clip names an existing one: the 300 frames of
   Samples/astronaut_pan.mp4 (640x480), each encoded once as a JPEG (OpenCV, quality 90),
   repeated until the raw MJPEG stream holds --frames frames (no re-encoding of 100,000
   frames on a shared 2-core machine; a raw stream needs no index).
2. Runs `ferdemo live --input CLIP --no-window --quiet --json JSONL` (the default pipeline:
   detection every 10 frames on its own thread, classification every 5) and, every
   --interval seconds, reads VmRSS and VmHWM from /proc/PID/status and counts the JSON
   lines written so far (one per frame).
3. Writes the samples to a CSV (seconds, frames, rss_kib, hwm_kib) and plots RSS against
   frames as an SVG drawn here (no plotting library needed), and prints the peak and the
   growth after warm-up.

The frame counts are those of the JSON Lines file at each sample (ferdemo writes it through
a buffer, so it may trail the frame being processed by a few frames).
"""
import argparse
import csv
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_clip(path, frames):
    """Writes the sample clip's frames as JPEG files once and repeats their bytes until the
    stream holds `frames` frames: a raw MJPEG stream (FFmpeg's mjpeg demuxer, 25 fps), made
    without encoding 100,000 frames."""
    import cv2  # only needed to make the clip

    cap = cv2.VideoCapture(os.path.join(ROOT, "Samples", "astronaut_pan.mp4"))
    loop = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
        loop.append(jpeg.tobytes())
    cap.release()
    if not loop:
        sys.exit("soak: could not read Samples/astronaut_pan.mp4")
    with open(path, "wb") as out:
        for i in range(frames):
            out.write(loop[i % len(loop)])
    print(f"soak: wrote {path}: {frames} JPEG frames, the sample's {len(loop)} repeated "
          f"({os.path.getsize(path) / 1e9:.2f} GB)", flush=True)


def status_kib(pid):
    rss = hwm = None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return rss, hwm


def svg_plot(rows, path, title):
    """RSS (MB) against frames, with the peak marked: a plain SVG line chart."""
    W, H, L, R, T, B = 800, 420, 70, 20, 40, 50
    xs = [r[1] for r in rows]
    ys = [r[2] / 1024 for r in rows]
    xmax = max(xs) or 1
    ymax = max(ys) * 1.15 or 1
    step = 10 ** (len(str(int(ymax))) - 1)
    step = step if ymax / step >= 4 else step / 2 if ymax / (step / 2) >= 4 else step / 5
    def px(x): return L + (W - L - R) * x / xmax
    def py(y): return H - B - (H - T - B) * y / ymax
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>']
    y = 0.0
    while y <= ymax:
        out.append(f'<line x1="{L}" x2="{W - R}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{L - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
        y += step
    xstep = 10 ** (len(str(int(xmax))) - 1)
    xstep = xstep if xmax / xstep >= 4 else xstep / 2 if xmax / (xstep / 2) >= 4 else xstep / 5
    x = 0.0
    while x <= xmax:
        out.append(f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{T}" y2="{H - B}" stroke="#eee"/>')
        out.append(f'<text x="{px(x):.1f}" y="{H - B + 16}" text-anchor="middle">{int(x):,}</text>')
        x += xstep
    out.append(f'<line x1="{L}" x2="{L}" y1="{T}" y2="{H - B}" stroke="black"/>')
    out.append(f'<line x1="{L}" x2="{W - R}" y1="{H - B}" y2="{H - B}" stroke="black"/>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">frames processed</text>')
    out.append(f'<text x="18" y="{(T + H - B) / 2}" text-anchor="middle" '
               f'transform="rotate(-90 18 {(T + H - B) / 2})">RSS (MB)</text>')
    pts = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(xs, ys))
    out.append(f'<polyline points="{pts}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>')
    i = max(range(len(ys)), key=lambda k: ys[k])
    out.append(f'<circle cx="{px(xs[i]):.1f}" cy="{py(ys[i]):.1f}" r="3" fill="#d62728"/>')
    out.append(f'<text x="{min(px(xs[i]) + 6, W - R - 120):.1f}" y="{py(ys[i]) - 6:.1f}" fill="#d62728">'
               f'peak {ys[i]:.1f} MB</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ferdemo", required=True, help="the ferdemo binary (a release build)")
    p.add_argument("--frames", type=int, default=100_000)
    p.add_argument("--clip", default=None, help="an existing long clip (default: made in /tmp)")
    p.add_argument("--json", default="/tmp/fercore-soak.jsonl", help="ferdemo's JSON Lines output")
    p.add_argument("--csv", default=os.path.join(ROOT, "Docs", "soak-rss.csv"))
    p.add_argument("--svg", default=os.path.join(ROOT, "Docs", "soak-rss.svg"))
    p.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    p.add_argument("--warmup-frames", type=int, default=10_000,
                   help="growth is measured from the first sample at or after this frame")
    a = p.parse_args()

    clip = a.clip or f"/tmp/fercore-soak-{a.frames}.mjpeg"
    if not os.path.exists(clip):
        make_clip(clip, a.frames)

    cmd = [a.ferdemo, "live", "--input", clip, "--no-window", "--quiet", "--json", a.json,
           "--max-frames", str(a.frames)]
    print("soak: " + " ".join(cmd), flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT)
    rows = []
    lines = 0
    offset = 0
    while True:
        rss, hwm = status_kib(proc.pid)
        if os.path.exists(a.json):
            with open(a.json, "rb") as f:
                f.seek(offset)
                chunk = f.read()
            offset += len(chunk)
            lines += chunk.count(b"\n")
        done = proc.poll() is not None
        if rss is not None and not done:
            rows.append((round(time.monotonic() - start, 1), lines, rss, hwm))
        if done:
            break
        time.sleep(a.interval)
    status = proc.wait()
    seconds = time.monotonic() - start
    with open(a.json, "rb") as f:
        total = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))

    with open(a.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["seconds", "frames", "rss_kib", "hwm_kib"])
        w.writerows(rows)
    peak = max(r[3] for r in rows)
    after = [r for r in rows if r[1] >= a.warmup_frames]
    title = f"ferdemo live, {total:,} frames of 640x480: RSS sampled every {a.interval:g} s"
    svg_plot(rows, a.svg, title)
    print(f"soak: exit status {status}, {total} frames in {seconds:.0f} s ({total / seconds:.1f} fps), "
          f"{len(rows)} samples")
    print(f"soak: peak RSS (VmHWM) {peak / 1024:.1f} MB; max sampled VmRSS {max(r[2] for r in rows) / 1024:.1f} MB")
    if len(after) >= 2:
        first, last = after[0], after[-1]
        lo = min(r[2] for r in after)
        hi = max(r[2] for r in after)
        print(f"soak: after warm-up (frame {first[1]} -> {last[1]}): RSS {first[2] / 1024:.1f} -> {last[2] / 1024:.1f} MB "
              f"(change {(last[2] - first[2]) / 1024:+.1f} MB; range {lo / 1024:.1f}..{hi / 1024:.1f} MB)")
    print(f"soak: wrote {a.csv} and {a.svg}")
    return status


if __name__ == "__main__":
    sys.exit(main())

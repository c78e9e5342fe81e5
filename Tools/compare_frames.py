#!/usr/bin/env python3
"""Input stage per 640x480 frame, OpenCV vs FERCore: decode + colour conversion + resize.

OpenCV: cv2.VideoCapture.read() (decode + conversion to BGR) + cv2.cvtColor(BGR2GRAY) +
cv2.resize(frame, (400, 300), INTER_LINEAR). FERCore: `ferdemo frames` (VideoReader to RGB8,
ColorConversion.rgbToGray, Resizer .linear to 400x300) from the plain release build (no CPU flags).
Both run single-threaded (cv2.setNumThreads(1); FFmpeg decoder threads 1), first pass
excluded as warm-up, and report mean ms per frame; the script prints the ratio.

Usage: .venv-tools/bin/python Tools/compare_frames.py [video] [--passes 3]
       (build first: swift build -c release --product ferdemo)
"""

import argparse
import os
import subprocess
import time

import cv2


def opencv(path, passes, size):
    cv2.setNumThreads(1)
    dec = conv = res = 0.0
    n = 0
    for p in range(passes):
        cap = cv2.VideoCapture(path)
        cap.set(cv2.CAP_PROP_N_THREADS, 1) if hasattr(cv2, "CAP_PROP_N_THREADS") else None
        while True:
            t0 = time.perf_counter()
            ok, frame = cap.read()
            if not ok:
                break
            t1 = time.perf_counter()
            cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            t2 = time.perf_counter()
            cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
            t3 = time.perf_counter()
            if p > 0:
                dec += t1 - t0
                conv += t2 - t1
                res += t3 - t2
                n += 1
        cap.release()
    return {"frames": n, "decode_ms": dec / n * 1e3, "gray_ms": conv / n * 1e3,
            "resize_ms": res / n * 1e3, "total_ms": (dec + conv + res) / n * 1e3}


def ours(root, path, passes):
    bin_path = subprocess.check_output(
        ["swift", "build", "-c", "release", "--show-bin-path"],
        cwd=root, text=True).strip()
    out = subprocess.check_output([os.path.join(bin_path, "ferdemo"), "frames", path, "--passes", str(passes)],
                                  cwd=root, text=True)
    f = out.split()
    return {f[i]: float(f[i + 1]) for i in range(0, len(f), 2)}


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    ap = argparse.ArgumentParser()
    ap.add_argument("video", nargs="?", default=os.path.join(root, "Samples", "astronaut_pan.mp4"))
    ap.add_argument("--passes", type=int, default=3)
    a = ap.parse_args()
    cv = opencv(a.video, a.passes, (400, 300))
    us = ours(root, os.path.abspath(a.video), a.passes)
    print(f"{'stage':<10} {'opencv ms':>10} {'fercore ms':>11} {'ratio':>7}")
    for k in ("decode_ms", "gray_ms", "resize_ms", "total_ms"):
        print(f"{k[:-3]:<10} {cv[k]:>10.3f} {us[k]:>11.3f} {cv[k] / us[k]:>7.2f}x")
    print(f"frames per pass: {int(us['frames']) // max(1, a.passes - 1)} ; ratio = opencv / fercore (>1: FERCore faster)")


if __name__ == "__main__":
    main()

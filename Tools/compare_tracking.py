#!/usr/bin/env python3
"""Side-by-side tracking comparison in one run: FERCore's CSR-DCF (ferdemo track) vs
OpenCV TrackerCSRT and TrackerKCF (opencv-contrib-python).

Sequences: (a) Tools/make_tracking_sequences.py families (fixed seeds, frames written to a
temp dir at run time); (b) Megamind.avi from Debian's opencv-doc package, fetched at run time
with `apt-get download` (never committed), reference boxes from the `mtcnn` package.

Metrics per sequence family: OTB success AUC (mean over IoU thresholds 0, 0.05, ..., 1),
precision at 20 px (centre error), failures (times the IoU drops to 0), ms per update
(ours: timed inside ferdemo around FaceTracker.update; OpenCV: around tracker.update), as
the median wall time and the median CPU time of the calling thread (the latter is what to
compare on a loaded machine: other processes do not inflate it).

Usage: .venv-tools/bin/python Tools/compare_tracking.py [--ferdemo PATH] [--frames 90]
       [--megamind-step 1] [--megamind-frames 0 (all)] [--skip-megamind]
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tracking_sequences as seqs  # noqa: E402


def iou(a, b):
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def metrics(pred, truth):
    """pred/truth: dict frame -> box; evaluated on frames >= 1 that have a truth box."""
    frames = sorted(f for f in truth if f >= 1)
    ious, errs = [], []
    for f in frames:
        p = pred.get(f)
        t = truth[f]
        if p is None:
            ious.append(0.0)
            errs.append(1e9)
            continue
        ious.append(iou(p, t))
        errs.append(np.hypot(p[0] + p[2] / 2 - t[0] - t[2] / 2, p[1] + p[3] / 2 - t[1] - t[3] / 2))
    ious, errs = np.array(ious), np.array(errs)
    auc = float(np.mean([(ious > th).mean() for th in np.linspace(0, 1, 21)]))
    prec = float((errs <= 20).mean())
    failures = int(np.sum((ious[1:] == 0) & (ious[:-1] > 0)) + (ious[0] == 0))
    return auc, prec, failures


def write_ppm(path, rgb):
    h, w, _ = rgb.shape
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(np.ascontiguousarray(rgb).tobytes())


def run_ours(ferdemo, folder, init):
    csv = os.path.join(folder, "ours.csv")
    out = subprocess.run([ferdemo, "track", "--input", folder, "--init-box", ",".join("%.2f" % v for v in init),
                          "--csv", csv, "--timing"], capture_output=True, text=True, check=True).stdout
    ms = float(out.split("median")[1].split()[0])
    cpu = float(out.split("cpu_median")[1].split()[0])
    cpu_mean = float(out.split("cpu_mean")[1].split()[0])
    pred = {}
    for line in open(csv).read().splitlines()[1:]:
        fr, tid, x, y, w, h, conf = line.split(",")
        if int(tid) == 1:
            pred[int(fr)] = (float(x), float(y), float(w), float(h))
    return pred, ms, cpu, cpu_mean


def run_opencv(kind, frames, init):
    import cv2
    tr = cv2.TrackerCSRT.create() if kind == "CSRT" else cv2.TrackerKCF.create()
    bgr0 = cv2.cvtColor(frames[0], cv2.COLOR_RGB2BGR)
    tr.init(bgr0, tuple(int(round(v)) for v in init))
    pred, times, cpu = {}, [], []
    for i, rgb in enumerate(frames[1:], start=1):
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        t0, c0 = time.perf_counter(), time.thread_time()
        ok, box = tr.update(bgr)
        cpu.append((time.thread_time() - c0) * 1e3)
        times.append((time.perf_counter() - t0) * 1e3)
        if ok:
            pred[i] = tuple(float(v) for v in box)
    return pred, float(np.median(times)), float(np.median(cpu)), float(np.mean(cpu))


def megamind(tmp, step, limit):
    import cv2
    d = os.path.join(tmp, "deb")
    os.makedirs(d, exist_ok=True)
    subprocess.run(["apt-get", "download", "opencv-doc"], cwd=d, check=True, capture_output=True)
    deb = glob.glob(os.path.join(d, "opencv-doc*.deb"))[0]
    subprocess.run(["dpkg-deb", "-x", deb, os.path.join(d, "x")], check=True)
    avi = [p for p in glob.glob(os.path.join(d, "x", "**", "*"), recursive=True) if os.path.basename(p).lower().startswith("megamind")]
    if not avi:
        raise RuntimeError("Megamind.avi not found in opencv-doc")
    path = avi[0]
    if path.endswith(".gz"):
        subprocess.run(["gunzip", "-kf", path], check=True)
        path = path[:-3]
    cap = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        if limit and len(frames) >= limit:
            break
    from mtcnn import MTCNN
    det = MTCNN()
    truth = {}
    t0 = time.time()
    for i in range(0, len(frames), step):
        faces = det.detect_faces(frames[i])
        if faces:
            best = max(faces, key=lambda f: f["confidence"])
            truth[i] = tuple(float(v) for v in best["box"])
    print("  mtcnn reference on %d of %d frames in %.0f s" % (len(truth), len(frames), time.time() - t0), file=sys.stderr)
    return frames, truth


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferdemo", default=None)
    ap.add_argument("--frames", type=int, default=90)
    ap.add_argument("--megamind-step", type=int, default=1)
    ap.add_argument("--megamind-frames", type=int, default=0)
    ap.add_argument("--skip-megamind", action="store_true")
    args = ap.parse_args()
    ferdemo = args.ferdemo or os.path.join(".build", "release", "ferdemo")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for fam in seqs.FAMILIES:
            data = list(seqs.generate(fam, seed=seqs.FAMILIES.index(fam) + 1, n=args.frames))
            jobs.append((fam, [f for f, _ in data], {i: b for i, (_, b) in enumerate(data)}))
        if not args.skip_megamind:
            frames, truth = megamind(tmp, args.megamind_step, args.megamind_frames)
            jobs.append(("megamind", frames, truth))
        for name, frames, truth in jobs:
            folder = os.path.join(tmp, name)
            os.makedirs(folder, exist_ok=True)
            for i, f in enumerate(frames):
                write_ppm(os.path.join(folder, "%05d.ppm" % i), f)
            first = min(truth)
            init = truth[first]
            if first != 0:
                # Start every tracker on the first frame with a reference box.
                frames = frames[first:]
                truth = {k - first: v for k, v in truth.items()}
                for p in glob.glob(os.path.join(folder, "*.ppm")):
                    if int(os.path.basename(p)[:5]) < first:
                        os.remove(p)
            for tracker in ["FERCore", "CSRT", "KCF"]:
                if tracker == "FERCore":
                    pred, ms, cpu, cpu_mean = run_ours(ferdemo, folder, init)
                else:
                    pred, ms, cpu, cpu_mean = run_opencv(tracker, frames, init)
                auc, prec, fails = metrics(pred, truth)
                rows.append((name, tracker, auc, prec, fails, ms, cpu, cpu_mean))
                print("%-12s %-8s AUC %.3f  P@20 %.3f  failures %d  %.2f ms/update (CPU median %.2f, mean %.2f)"
                      % (name, tracker, auc, prec, fails, ms, cpu, cpu_mean), file=sys.stderr)
    print("| family | tracker | success AUC | precision@20px | failures | ms/update wall (median) | thread CPU ms (median) | thread CPU ms (mean) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, tracker, auc, prec, fails, ms, cpu, cpu_mean in rows:
        print("| %s | %s | %.3f | %.3f | %d | %.2f | %.2f | %.2f |" % (name, tracker, auc, prec, fails, ms, cpu, cpu_mean))


if __name__ == "__main__":
    main()

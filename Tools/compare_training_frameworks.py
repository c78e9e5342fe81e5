#!/usr/bin/env python3
"""Training speed of Keras (TensorFlow backend) vs PyTorch on this machine, side by side.

Both train the same network (Tools/emotion_model.py's architecture, given by --arch) on the
same random 48x48x1 batches with the same optimiser (AdamW) and report images per second
after a warm-up, each framework in its own process with --threads intra-op threads (1
inter-op thread). Run it with nothing else on the machine; the two runs alternate
(Keras, PyTorch, Keras, PyTorch, ...) for --rounds rounds so that load from elsewhere falls
on both alike, and the median round is reported.

Usage (pins: Tools/requirements.txt, and Tools/requirements-train.txt for torch):
  bash Tools/setup_venv.sh --train
  .venv-tools/bin/python Tools/compare_training_frameworks.py [--arch NAME] [--threads 2] [--keras-jit]
      [--torch-python PYTHON]   # another Python with torch (default: this one)
"""

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))


def batches(n, batch, seed=1):
    import numpy as np
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, batch, 48, 48, 1)).astype(np.float32)
    y = rng.integers(0, 7, (n, batch))
    return x, y


def run_keras(arch, threads, steps, batch, jit=False):
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    sys.path.insert(0, HERE)
    import emotion_model as em
    model = em.keras_model(arch)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4),
                  loss=keras.losses.SparseCategoricalCrossentropy(), jit_compile=jit)
    x, y = batches(steps + 5, batch)
    for i in range(5):
        model.train_on_batch(x[i], y[i])
    t0 = time.perf_counter()
    for i in range(5, steps + 5):
        model.train_on_batch(x[i], y[i])
    return steps * batch / (time.perf_counter() - t0)


def run_torch(arch, threads, steps, batch):
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    sys.path.insert(0, HERE)
    import emotion_model as em
    model = em.torch_model(arch).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), 1e-3, weight_decay=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = batches(steps + 5, batch)
    xs = torch.from_numpy(x).permute(0, 1, 4, 2, 3).contiguous()
    ys = torch.from_numpy(y)
    model.train()

    def step(i):
        opt.zero_grad(set_to_none=True)
        out = model(xs[i].contiguous(memory_format=torch.channels_last))
        loss = loss_fn(out, ys[i])
        loss.backward()
        opt.step()
    for i in range(5):
        step(i)
    t0 = time.perf_counter()
    for i in range(5, steps + 5):
        step(i)
    return steps * batch / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="fernet")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--torch-python", default=sys.executable,
                    help="Python with torch installed (default: this one)")
    ap.add_argument("--keras-jit", action="store_true",
                    help="compile Keras's train step with XLA (train_emotion.py does not)")
    ap.add_argument("--worker", choices=["keras", "torch"])
    args = ap.parse_args()
    if args.worker:
        if args.worker == "keras":
            ips = run_keras(args.arch, args.threads, args.steps, args.batch, jit=args.keras_jit)
        else:
            ips = run_torch(args.arch, args.threads, args.steps, args.batch)
        print(json.dumps({"images_per_s": ips}))
        return
    results = {"keras": [], "torch": []}
    for r in range(args.rounds):
        for fw in ("keras", "torch"):
            py = sys.executable if fw == "keras" else args.torch_python
            out = subprocess.run([py, __file__, "--worker", fw, "--arch", args.arch, "--threads", str(args.threads),
                                  "--steps", str(args.steps), "--batch", str(args.batch)]
                                 + (["--keras-jit"] if args.keras_jit else []),
                                 capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            ips = json.loads(out)["images_per_s"]
            results[fw].append(ips)
            print(f"round {r + 1} {fw:6s} {ips:8.1f} images/s", flush=True)
    med = {k: sorted(v)[len(v) // 2] for k, v in results.items()}
    print(f"median: keras {med['keras']:.1f} images/s, torch {med['torch']:.1f} images/s, "
          f"torch/keras {med['torch'] / med['keras']:.2f}; arch {args.arch}, threads {args.threads}, batch {args.batch}, "
          f"keras XLA {'on' if args.keras_jit else 'off'}")


if __name__ == "__main__":
    main()

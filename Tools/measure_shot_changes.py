#!/usr/bin/env python3
"""Measures the shot-change score of FERCore's ShotChangeDetector on real footage.

The score is computed exactly as Sources/FERCore/Pipeline/ShotChangeDetector.swift does:
luma (BT.601 integer weights, (4899 R + 9617 G + 1868 B + 8192) >> 14) sampled on a grid with
stride ceil(sqrt(W*H / 65536)); a 32-bin histogram of the samples (normalised) and a 32x24
thumbnail (mean of the samples in each cell); score = 0.5 * sum |h1 - h2| + mean |t1 - t2| / 255.

Reports, for the OTB face sequences in --otb (real footage with fast motion, blur, light changes
and occlusions), the largest score between consecutive frames (must stay below the threshold:
no false cuts) and the smallest score between frames of different sequences resized to one size
(cuts: must stay above it).

Usage: .venv-tools/bin/python Tools/measure_shot_changes.py [--otb ../shared/data/otb-faces] [--pairs 400]
"""
import argparse
import glob
import math
import os

import numpy as np


def summary(rgb):
    h, w = rgb.shape[:2]
    stride = max(1, math.ceil(math.sqrt(w * h / 65536)))
    s = rgb[::stride, ::stride].astype(np.int64)
    luma = (s[..., 0] * 4899 + s[..., 1] * 9617 + s[..., 2] * 1868 + 8192) >> 14
    hist = np.bincount((luma >> 3).ravel(), minlength=32).astype(np.float64)
    hist /= hist.sum()
    ys = (np.arange(0, h, stride) * 24) // h
    xs = (np.arange(0, w, stride) * 32) // w
    sums = np.zeros((24, 32))
    counts = np.zeros((24, 32))
    np.add.at(sums, (ys[:, None], xs[None, :]), luma)
    np.add.at(counts, (ys[:, None], xs[None, :]), 1)
    thumb = np.where(counts > 0, sums / np.maximum(counts, 1), 0)
    return hist, thumb


def score(a, b):
    return 0.5 * np.abs(a[0] - b[0]).sum() + np.abs(a[1] - b[1]).mean() / 255


def main():
    import cv2
    ap = argparse.ArgumentParser()
    ap.add_argument("--otb", default=os.path.join("..", "shared", "data", "otb-faces"))
    ap.add_argument("--pairs", type=int, default=400)
    args = ap.parse_args()
    seqs = {os.path.basename(d): sorted(glob.glob(os.path.join(d, "img", "*.jpg")))
            for d in sorted(glob.glob(os.path.join(args.otb, "*"))) if os.path.isdir(d)}
    consecutive = []
    for name, files in seqs.items():
        prev = None
        for f in files:
            cur = summary(cv2.cvtColor(cv2.imread(f), cv2.COLOR_BGR2RGB))
            if prev is not None:
                consecutive.append((score(prev, cur), name, os.path.basename(f)))
            prev = cur
    rng = np.random.default_rng(0)
    names = list(seqs)
    cuts = []
    for _ in range(args.pairs):
        a, b = rng.choice(len(names), 2, replace=False)
        fa = seqs[names[a]][rng.integers(len(seqs[names[a]]))]
        fb = seqs[names[b]][rng.integers(len(seqs[names[b]]))]
        ia = cv2.cvtColor(cv2.resize(cv2.imread(fa), (352, 288)), cv2.COLOR_BGR2RGB)
        ib = cv2.cvtColor(cv2.resize(cv2.imread(fb), (352, 288)), cv2.COLOR_BGR2RGB)
        cuts.append(score(summary(ia), summary(ib)))
    worst = max(consecutive)
    print("consecutive frames: %d pairs, max %.3f (%s %s), 99.9th percentile %.3f"
          % (len(consecutive), worst[0], worst[1], worst[2], np.percentile([c[0] for c in consecutive], 99.9)))
    print("different sequences: %d pairs, min %.3f, 1st percentile %.3f" % (len(cuts), min(cuts), np.percentile(cuts, 1)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Independent check of the converted files: a plain numpy interpreter of the FERCore
graph format (Docs/GraphFormat.md), run on the golden inputs and compared with the
Keras layer outputs stored in Tests/Fixtures/goldens/.

It uses only numpy + safetensors (no TensorFlow), so it proves that the graph JSON and
tensor layouts alone reproduce the reference networks.

Usage: .venv-tools/bin/python Tools/check_graph.py
"""

import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file
from safetensors import safe_open

PAIRS = [
    ("Weights/mtcnn_pnet.safetensors", "Tests/Fixtures/goldens/pnet.safetensors"),
    ("Weights/mtcnn_rnet.safetensors", "Tests/Fixtures/goldens/rnet.safetensors"),
    ("Weights/mtcnn_onet.safetensors", "Tests/Fixtures/goldens/onet.safetensors"),
    ("Weights/emotion_mini_xception.safetensors", "Tests/Fixtures/goldens/emotion_mini_xception.safetensors"),
]


def same_pad(n, k, s):
    out = math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    return out, total // 2, total - total // 2


def windows(x, k, s, padding, fill):
    """Pads HWC `x` per `padding` and returns (padded, out_h, out_w)."""
    h, w, _ = x.shape
    if padding == "valid":
        oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
        return x, oh, ow
    if padding == "same":
        oh, t, b = same_pad(h, k[0], s[0])
        ow, l, r = same_pad(w, k[1], s[1])
    elif padding == "ceil":
        oh = math.ceil((h - k[0]) / s[0]) + 1
        ow = math.ceil((w - k[1]) / s[1]) + 1
        t, l = 0, 0
        b, r = max((oh - 1) * s[0] + k[0] - h, 0), max((ow - 1) * s[1] + k[1] - w, 0)
    else:
        raise ValueError(padding)
    return np.pad(x, ((t, b), (l, r), (0, 0)), constant_values=fill), oh, ow


def patches(x, k, s, oh, ow):
    """[oh, ow, kh, kw, C] view of the windows."""
    return np.stack([np.stack([x[i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]]
                               for j in range(ow)]) for i in range(oh)])


def conv(x, kernel, stride, padding):
    k = kernel.shape[:2]
    xp, oh, ow = windows(x.astype(np.float64), k, stride, padding, 0.0)
    return np.einsum("ijabc,abcd->ijd", patches(xp, k, stride, oh, ow), kernel.astype(np.float64))


def depthwise(x, kernel, stride, padding):
    k = kernel.shape[:2]
    xp, oh, ow = windows(x.astype(np.float64), k, stride, padding, 0.0)
    return np.einsum("ijabc,abc->ijc", patches(xp, k, stride, oh, ow), kernel.astype(np.float64))


def run(graph, params, x):
    vals = {graph["input"]["name"]: x.astype(np.float64)}
    for L in graph["layers"]:
        a, p, op = L["attrs"], {r: params[t].astype(np.float64) for r, t in L["params"].items()}, L["op"]
        ins = [vals[i] for i in L["inputs"]]
        v = ins[0]
        if op == "conv2d":
            y = conv(v, p["kernel"], a["stride"], a["padding"])
            y = y + p["bias"] if "bias" in p else y
        elif op == "depthwise_conv2d":
            y = depthwise(v, p["kernel"], a["stride"], a["padding"])
            y = y + p["bias"] if "bias" in p else y
        elif op == "separable_conv2d":
            y = depthwise(v, p["depthwise"], a["stride"], a["padding"])
            y = np.einsum("ijc,cd->ijd", y, p["pointwise"][0, 0])
            y = y + p["bias"] if "bias" in p else y
        elif op == "batch_norm":
            y = (v - p["mean"]) / np.sqrt(p["variance"] + a["epsilon"]) * p["gamma"] + p["beta"]
        elif op == "relu":
            y = np.maximum(v, 0)
        elif op == "prelu":
            y = np.where(v >= 0, v, v * p["alpha"])
        elif op == "max_pool2d":
            xp, oh, ow = windows(v, a["pool"], a["stride"], a["padding"], -np.inf)
            y = patches(xp, a["pool"], a["stride"], oh, ow).max(axis=(2, 3))
        elif op == "global_avg_pool":
            y = v.mean(axis=(0, 1))
        elif op == "flatten":
            y = np.transpose(v, a.get("order", [0, 1, 2])).reshape(-1)
        elif op == "dense":
            y = v @ p["kernel"]
            y = y + p["bias"] if "bias" in p else y
        elif op == "softmax":
            e = np.exp(v - v.max(axis=-1, keepdims=True))
            y = e / e.sum(axis=-1, keepdims=True)
        elif op == "add":
            y = ins[0] + ins[1]
        else:
            raise ValueError(op)
        assert list(y.shape) == L["shape"] or graph["input"]["spatial"] == "dynamic", (L["name"], y.shape, L["shape"])
        vals[L["name"]] = y
    return vals


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    worst_all = 0.0
    for wpath, gpath in PAIRS:
        with safe_open(os.path.join(repo, wpath), "np") as f:
            graph = json.loads(f.metadata()["fercore.graph"])
        params = load_file(os.path.join(repo, wpath))
        gold = load_file(os.path.join(repo, gpath))
        with safe_open(os.path.join(repo, gpath), "np") as f:
            meta = json.loads(f.metadata()["fercore.goldens"])
        assert meta["layers"] == [L["name"] for L in graph["layers"]]
        worst = (0.0, "")
        for case in meta["cases"]:
            k = case["case"]
            vals = run(graph, params, gold[f"case{k}.input"])
            names = meta["layers"] if case["layers"] == "all" else graph["outputs"]
            for n in names:
                ref = gold[f"case{k}.{n}"].astype(np.float64)
                err = float(np.max(np.abs(vals[n] - ref)) / (1.0 + np.max(np.abs(ref))))
                if err > worst[0]:
                    worst = (err, f"case{k}.{n}")
        print(f"{graph['name']:24s} {len(meta['cases'])} cases  max |numpy - keras| / (1 + max|keras|) = "
              f"{worst[0]:.2e} at {worst[1]}")
        worst_all = max(worst_all, worst[0])
    if worst_all > 1e-4:
        print("FAIL: graph interpretation disagrees with Keras")
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()

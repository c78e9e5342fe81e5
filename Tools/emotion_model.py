"""The emotion network architectures trained by Tools/train_emotion.py, in Keras and in
PyTorch (the same network, layer for layer), their multiply-accumulate counts, and the
conversions between the two and FERCore's weights files.

A network is a VGG-style stack: per stage `reps` 3x3 convolutions (TF 'same' padding, no
bias) each followed by batch norm and ReLU, a 2x2/2 max pool between stages, then global
average pooling, dropout and one dense layer to the 7 FER-2013 classes (softmax).
Every layer is an op FERCore's engine runs (conv2d, batch_norm folded into it, relu,
max_pool2d, global_avg_pool, dense, softmax: Docs/GraphFormat.md).
"""

ARCHS = {
    # name: (input side, widths per stage, convolutions per stage, dropout before the dense layer)
    # The shipped model (34.3 MMAC: within 1 ms per face on one AVX2 core in FERCore).
    "fernet": (48, (32, 48, 80, 160), (1, 1, 2, 2), 0.3),
    # Candidates timed while choosing (Docs/Accuracy.md, "Our model"): 75.0 and 32.5 MMAC.
    "fernet_l": (48, (32, 64, 128, 256), (1, 1, 2, 2), 0.3),
    "fernet_xs": (48, (32, 64, 128, 256), (1, 1, 1, 1), 0.3),
}


def spec(arch):
    return ARCHS[arch]


def macs(arch):
    side, widths, reps, _ = ARCHS[arch]
    total, cin, s = 0, 1, side
    for i, (c, n) in enumerate(zip(widths, reps)):
        for _ in range(n):
            total += s * s * 9 * cin * c
            cin = c
        if i < len(widths) - 1:
            s //= 2
    return total + cin * 7


def keras_model(arch, name=None, dropout=True):
    """The Keras model; `dropout=False` leaves out the dropout layer (the inference graph
    FERCore runs: dropout is the identity at inference)."""
    import keras
    from keras import layers
    side, widths, reps, drop = ARCHS[arch]
    inp = keras.Input((side, side, 1), name="input")
    x = inp
    k = 0
    for i, (c, n) in enumerate(zip(widths, reps)):
        for j in range(n):
            k += 1
            x = layers.Conv2D(c, 3, padding="same", use_bias=False, name=f"conv{k}")(x)
            x = layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=f"bn{k}")(x)
            x = layers.Activation("relu", name=f"relu{k}")(x)
        if i < len(widths) - 1:
            x = layers.MaxPooling2D(2, name=f"pool{i + 1}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if dropout:
        x = layers.Dropout(drop, name="dropout")(x)
    x = layers.Dense(7, name="logits")(x)
    x = layers.Activation("softmax", name="predictions")(x)
    return keras.Model(inp, x, name=name or arch)


def torch_model(arch, keras_init=False):
    """The PyTorch model (nn.Sequential, NCHW), layer for layer the Keras one with dropout.
    `keras_init` initialises as Keras does (Glorot-uniform kernels, zero dense bias) instead
    of PyTorch's defaults: Tools/train_emotion.py keeps the recipe the Keras runs used."""
    import torch
    from torch import nn
    side, widths, reps, drop = ARCHS[arch]
    mods = []
    cin = 1
    for i, (c, n) in enumerate(zip(widths, reps)):
        for _ in range(n):
            mods += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c, eps=1e-5, momentum=0.1),
                     nn.ReLU(inplace=True)]
            cin = c
        if i < len(widths) - 1:
            mods.append(nn.MaxPool2d(2))
    mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(drop), nn.Linear(cin, 7)]
    model = nn.Sequential(*mods)
    if keras_init:
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.xavier_uniform_(m.weight)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
    return model


def torch_graph_names(model):
    """[(graph layer name, module)] of a torch_model, in order: conv<k>, bn<k>, relu<k>,
    pool<i>, gap (AdaptiveAvgPool2d + Flatten: the Flatten is given the name), logits; the
    dropout module has no graph layer (identity at inference)."""
    from torch import nn
    out, k, pools = [], 0, 0
    for m in model:
        if isinstance(m, nn.Conv2d):
            k += 1
            out.append((f"conv{k}", m))
        elif isinstance(m, nn.BatchNorm2d):
            out.append((f"bn{k}", m))
        elif isinstance(m, nn.ReLU):
            out.append((f"relu{k}", m))
        elif isinstance(m, nn.MaxPool2d):
            pools += 1
            out.append((f"pool{pools}", m))
        elif isinstance(m, nn.Flatten):
            out.append(("gap", m))
        elif isinstance(m, nn.Linear):
            out.append(("logits", m))
    return out


def torch_to_keras(tmodel, kmodel):
    """Copies a trained torch_model's weights into the Keras model of the same architecture
    (kernels OIHW -> HWIO, dense [out, in] -> [in, out], batch norm's running statistics)."""
    from torch import nn
    for name, m in torch_graph_names(tmodel):
        if isinstance(m, nn.Conv2d):
            kmodel.get_layer(name).set_weights([m.weight.detach().numpy().transpose(2, 3, 1, 0)])
        elif isinstance(m, nn.BatchNorm2d):
            kmodel.get_layer(name).set_weights([t.detach().numpy() for t in (m.weight, m.bias, m.running_mean, m.running_var)])
        elif isinstance(m, nn.Linear):
            kmodel.get_layer(name).set_weights([m.weight.detach().numpy().T, m.bias.detach().numpy()])


def torch_from_file(path):
    """The PyTorch model (eval mode) of a weights file written by train_emotion.py, with the
    file's weights (the inverse of torch_to_keras)."""
    import torch
    from torch import nn
    graph, tensors, _ = read_file(path)
    model = torch_model(architecture_of(graph, path))
    specs = {layer["name"]: layer["params"] for layer in graph["layers"]}
    with torch.no_grad():
        for name, m in torch_graph_names(model):
            p = specs[name]
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(torch.from_numpy(tensors[p["kernel"]].transpose(3, 2, 0, 1).copy()))
            elif isinstance(m, nn.BatchNorm2d):
                for t, role in ((m.weight, "gamma"), (m.bias, "beta"), (m.running_mean, "mean"), (m.running_var, "variance")):
                    t.copy_(torch.from_numpy(tensors[p[role]]))
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.from_numpy(tensors[p["kernel"]].T.copy()))
                m.bias.copy_(torch.from_numpy(tensors[p["bias"]]))
    return model.eval()


def read_file(path):
    """(graph dict, {tensor name: float32 array}, metadata) of a FERCore weights file."""
    import json
    from safetensors import safe_open
    tensors = {}
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
        for k in f.keys():
            tensors[k] = f.get_tensor(k)
    return json.loads(meta["fercore.graph"]), tensors, meta


def architecture_of(graph, path):
    """The ARCHS name whose layer shapes the graph has."""
    convs = [layer for layer in graph["layers"] if layer["op"] == "conv2d"]
    widths, reps, sizes = [], [], []
    for layer in convs:
        s = layer["shape"][0]
        if sizes and sizes[-1] == s:
            reps[-1] += 1
        else:
            sizes.append(s)
            widths.append(layer["shape"][2])
            reps.append(1)
    side = graph["input"]["shape"][0]
    match = [a for a, (sd, w, r, _) in ARCHS.items() if sd == side and tuple(w) == tuple(widths) and tuple(r) == tuple(reps)]
    if not match:
        raise SystemExit(f"{path}: no architecture in Tools/emotion_model.py has widths {widths} and depths {reps}")
    return match[0]


def keras_from_file(path):
    """The Keras inference model (no dropout) of a weights file written by train_emotion.py,
    with the file's weights: the architecture is recovered from the graph's layer shapes."""
    graph, tensors, _ = read_file(path)
    model = keras_model(architecture_of(graph, path), name=graph["name"], dropout=False)
    for layer in model.layers:
        params = [layer_spec for layer_spec in graph["layers"] if layer_spec["name"] == layer.name]
        if not params or not params[0]["params"]:
            continue
        p = params[0]["params"]
        if "gamma" in p:
            layer.set_weights([tensors[p[r]] for r in ("gamma", "beta", "mean", "variance")])
        else:
            layer.set_weights([tensors[p[r]] for r in ("kernel", "bias") if r in p])
    return model

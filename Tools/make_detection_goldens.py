#!/usr/bin/env python3
"""Face-detection golden fixtures from the reference `mtcnn` 1.0.0 package (TensorFlow).

Writes Tests/Fixtures/detection/detection.safetensors holding, per case:
  <case>.image   the U8 image (H x W x 3 RGB, or H x W x 1 gray) our detector is given
  <case>.faces   F32 [n, 15]: x, y, width, height, score, then the five landmarks as
                 x, y pairs (left eye, right eye, nose, mouth left, mouth right); the
                 package's float output (`output_type="numpy"`, before its rounding to
                 ints), boxes clipped to the image as `detect_faces` does (fit_to_image)
and for the intermediate-tensor case (`astronaut`):
  astronaut.scales      F32 pyramid scales
  astronaut.level<k>    F32 [h, w, 3] pyramid level k after tf.image.resize(AREA)
  astronaut.pnet        F32 [n, 5] P-Net stage output (x1, y1, x2, y2, score; squared)
  astronaut.rnet        F32 [n, 5] R-Net stage output (squared)
  astronaut.onet        F32 [n, 15] O-Net stage output before clipping (x1, y1, x2, y2,
                        score, landmarks x1..x5, y1..y5)
  astronaut.patches     F32 [k, 24, 24, 3] the R-Net input patches of the first k
                        P-Net boxes (tf.image.crop_and_resize)
The __metadata__ key "fercore.detection" (JSON) lists the cases (min face size, whether
the canonical pyramid rule was patched in, face counts).

Images: only the public-domain NASA astronaut photo (skimage.data.astronaut(), Eileen
Collins, NASA) and synthetic compositions of it (scaled, cropped to touch the border,
pasted several times on a plain canvas, grayscale, a crop without a face).

The reference at min_face_size 20 runs unmodified. For other sizes `mtcnn` 1.0.0 keeps
pyramid scales whose image is below 12 px, TensorFlow raises inside detect_faces and the
package returns no faces (Docs/Accuracy.md); those cases run with the canonical rule
patched in: keep scale s while min(width, height) * s >= 12 (the original MTCNN code's
rule), which is what FERCore implements for every size.

Usage: .venv-tools/bin/python Tools/make_detection_goldens.py [--out Tests/Fixtures/detection]
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402
from skimage import data  # noqa: E402

import mtcnn  # noqa: E402
import mtcnn.stages.stage_pnet as stage_pnet  # noqa: E402
import mtcnn.utils.images as mimages  # noqa: E402
from mtcnn import MTCNN  # noqa: E402
from mtcnn.utils.bboxes import limit_bboxes  # noqa: E402

REFERENCE_PYRAMID = stage_pnet.build_scale_pyramid


def canonical_pyramid(width, height, min_face_size, scale_factor, min_size=12):
    """The original MTCNN rule: keep m * f^k while min(w, h) * m * f^k >= min_size."""
    m = min_size / min_face_size
    min_dim = min(width, height)
    scales = []
    k = 0
    while min_dim * m * scale_factor ** k >= min_size:
        scales.append(m * scale_factor ** k)
        k += 1
    return np.asarray(scales)


def resize(img, w, h):
    return np.asarray(Image.fromarray(img).resize((w, h), Image.BICUBIC))


def make_images():
    a = data.astronaut()  # 512 x 512 RGB, face at about x 182..265, y 64..171
    images = {}
    images["astronaut"] = resize(a, 320, 320)
    # Face cut by the top and left borders.
    images["border"] = np.ascontiguousarray(a[66:266, 184:424])
    # Head and shoulders, several times and sizes on a plain canvas (640 x 360).
    head = a[30:230, 140:310]  # 200 x 170
    canvas = np.zeros((360, 640, 3), np.uint8)
    canvas[:, :] = (96, 110, 124)
    for (x, y, s) in [(20, 30, 0.45), (140, 120, 1.1), (400, 40, 0.8), (560, 250, 0.3)]:
        h, w = int(round(200 * s)), int(round(170 * s))
        canvas[y:y + h, x:x + w] = resize(head, w, h)
    images["group"] = canvas
    # Gray input: ITU-R BT.601 luma, as a 1-channel image; the reference sees it as RGB.
    rgb = images["astronaut"].astype(np.float64)
    images["gray"] = np.clip(np.round(rgb @ np.asarray([0.299, 0.587, 0.114])), 0, 255).astype(np.uint8)[..., None]
    # A face larger than the short side: the head scaled so the face (~107 px in the
    # original) is taller than the image.
    big = resize(a[40:200, 130:320], 285, 240)  # x1.5: the face is ~160 px tall
    images["large_face"] = np.ascontiguousarray(big[30:180, :])  # 285 x 150
    # No face: the suit and flag part of the photo.
    images["noface"] = np.ascontiguousarray(a[330:490, 260:500])
    return images


def as_rgb(img):
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


def faces_array(detector, img, min_face):
    out = detector.detect_faces(as_rgb(img), output_type="numpy", min_face_size=min_face)
    out = np.asarray(out, dtype=np.float64).reshape(-1, 16)
    # numpy output: [id, x, y, w, h, score, lx1..lx5, ly1..ly5]
    rows = []
    for r in out:
        lm = [v for i in range(5) for v in (r[6 + i], r[11 + i])]
        rows.append([r[1], r[2], r[3], r[4], r[5]] + lm)
    return np.asarray(rows, dtype=np.float32).reshape(-1, 15)


def intermediates(detector, img, tensors, prefix):
    """Runs the stages one by one, as MTCNN.detect_faces does, keeping their outputs."""
    raw = mimages.load_images_batch([as_rgb(img)])
    norm, oshapes, _ = mimages.standarize_batch(raw, justification="center", normalize=True)
    scales = stage_pnet.build_scale_pyramid(oshapes[0][1], oshapes[0][0], min_face_size=20, scale_factor=0.709)
    tensors[prefix + ".scales"] = np.asarray(scales, np.float32)
    for k in (2, 5):
        tensors[prefix + f".level{k}"] = mimages.scale_images(norm, scales[k]).numpy()[0].astype(np.float32)
    pnet, rnet, onet = detector.stages
    b1 = pnet(images_normalized=norm, images_oshapes=oshapes)
    tensors[prefix + ".pnet"] = np.ascontiguousarray(b1[:, 1:6], np.float32)
    tensors[prefix + ".patches"] = mimages.extract_patches(norm, b1[:4], expected_size=(24, 24)).numpy()
    b2 = rnet(images_normalized=norm, bboxes_batch=b1)
    tensors[prefix + ".rnet"] = np.ascontiguousarray(b2[:, 1:6], np.float32)
    b3 = onet(images_normalized=norm, bboxes_batch=b2)
    tensors[prefix + ".onet"] = np.ascontiguousarray(b3[:, 1:16], np.float32)
    final = limit_bboxes(b3, images_shapes=oshapes, limit_landmarks=False)
    return final


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "detection"))
    args = ap.parse_args()
    assert mtcnn.__version__ == "1.0.0" if hasattr(mtcnn, "__version__") else True

    detector = MTCNN()
    images = make_images()
    tensors = {}
    cases = []
    # (case, image, min face, canonical pyramid patched in?)
    plan = [(name, name, 20, False) for name in images]
    plan += [("group_min40", "group", 40, True), ("astronaut_min32", "astronaut", 32, True)]
    for case, name, min_face, patched in plan:
        img = images[name]
        h, w = img.shape[:2]
        ref_scales = REFERENCE_PYRAMID(w, h, min_face_size=min_face, scale_factor=0.709)
        canon = canonical_pyramid(w, h, min_face, 0.709)
        if not patched and (len(ref_scales) != len(canon) or not np.allclose(ref_scales, canon, rtol=0, atol=0)):
            raise SystemExit(f"{case}: reference pyramid {ref_scales} differs from the canonical rule {canon}")
        stage_pnet.build_scale_pyramid = canonical_pyramid if patched else REFERENCE_PYRAMID
        try:
            faces = faces_array(detector, img, min_face)
        finally:
            stage_pnet.build_scale_pyramid = REFERENCE_PYRAMID
        if name + ".image" not in tensors:
            tensors[name + ".image"] = np.ascontiguousarray(img, np.uint8)
        tensors[case + ".faces"] = faces
        cases.append({"case": case, "image": name, "min_face": min_face, "canonical_pyramid_patched": patched,
                      "faces": int(faces.shape[0]), "width": w, "height": h, "channels": int(img.shape[2])})
        print(f"{case:18s} {w}x{h}x{img.shape[2]} min_face {min_face}: {faces.shape[0]} faces "
              + " ".join(f"[{f[0]:.1f} {f[1]:.1f} {f[2]:.1f} {f[3]:.1f} {f[4]:.4f}]" for f in faces))

    final = intermediates(detector, images["astronaut"], tensors, "astronaut")
    ref = tensors["astronaut.faces"]
    assert final.shape[0] == ref.shape[0] and np.allclose(final[:, 1:3], ref[:, 0:2], atol=1e-3), \
        "stage-by-stage run differs from detect_faces"

    os.makedirs(args.out, exist_ok=True)
    meta = {"fercore.detection": json.dumps({"cases": cases, "reference": "mtcnn 1.0.0 (TensorFlow)",
                                             "intermediates": "astronaut"})}
    path = os.path.join(args.out, "detection.safetensors")
    save_file(tensors, path, metadata=meta)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()

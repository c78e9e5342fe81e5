#!/usr/bin/env python3
"""Image-conversion and resize fixtures from OpenCV (the pixels the reference packages see).

Writes Tests/Fixtures/image/image_ops.safetensors (U8 tensors, HxWxC or HxW):
  src.<name>                 source images:
      astronaut  a 160x128 crop (rows 20..180, cols 150..278, RGB) of the public-domain NASA
                 astronaut photo (skimage.data.astronaut(): Eileen Collins, NASA)
      noise3     seeded uniform noise, 61x47x3 (numpy default_rng(SEED))
      noise1     seeded uniform noise, 53x41 (gray)
  resize.<k>                 cv2.resize(src, (w, h), interpolation) for case k
  gray.<name>                cv2.cvtColor(src, COLOR_RGB2GRAY) for astronaut and noise3
  yuyv.in / yuyv.rgb         a seeded 16x10 YUYV (YUY2) frame and cv2.cvtColor(COLOR_YUV2RGB_YUYV)
  nv12.in / nv12.rgb         a seeded 16x10 NV12 frame (15x16 bytes) and cv2.cvtColor(COLOR_YUV2RGB_NV12)
The __metadata__ key "fercore.resize" lists the resize cases, ';'-separated,
each "k src w h linear|area".

Cases cover down- and up-scaling, non-integer and integer factors (INTER_AREA's fast path
and INTER_LINEAR's exact-2x shortcut), one dimension up and the other down, and 1-pixel sizes.

It also writes the media fixtures of FERMediaTests to Tests/Fixtures/media/:
  pattern.avi   12 frames, 64x48, 10 fps, MJPEG in AVI (cv2.VideoWriter): frame k is a flat
                colour (20k, 100, 220 - 15k) with a white 12x12 square at x = 4 + 4k, y = 18
  pattern.png / pattern.jpg / pattern.bmp   frame 0 of that pattern as still images (cv2.imwrite)
  narrow420.jpg 6x48, flat RGB (220, 120, 40), 4:2:0 chroma (cv2.imwrite's default)
  pattern.tiff  frame 0 of the pattern as an uncompressed TIFF with a resolution (72 dpi: the
                XResolution, YResolution and ResolutionUnit tags nearly every TIFF carries),
                written by Pillow (make_tiff; `--tiff-only` writes just this file)
  expected.safetensors  frames.<k>: what cv2.VideoCapture decodes (converted to RGB);
                png / jpg / bmp: what cv2.imread decodes (RGB)

Usage: .venv-tools/bin/python Tools/make_image_fixtures.py [--out Tests/Fixtures/image]
Pinned versions: Tools/requirements.txt (opencv-contrib-python-headless 5.0.0.93,
scikit-image 0.26.0, numpy, safetensors).
"""

import argparse
import os

import cv2
import numpy as np
import skimage.data
from safetensors.numpy import save_file

SEED = 20240603

# (source, width, height, interpolation)
CASES = [
    ("astronaut", 64, 80, "linear"),     # 2.0 x 2.0 -> cv2 switches to INTER_AREA's fast path
    ("astronaut", 97, 61, "linear"),     # non-integer downscale
    ("astronaut", 200, 251, "linear"),   # upscale
    ("astronaut", 48, 48, "linear"),     # the O-Net input size
    ("astronaut", 32, 40, "area"),       # integer 4x: area fast path
    ("astronaut", 64, 80, "area"),       # integer 2x: the 2x2 SIMD path
    ("astronaut", 51, 37, "area"),       # non-integer downscale: general area path
    ("astronaut", 64, 64, "area"),       # the mini-Xception input size
    ("astronaut", 190, 70, "area"),      # x up, y down: area falls back to the linear machinery
    ("noise3", 23, 17, "linear"),
    ("noise3", 91, 103, "linear"),
    ("noise3", 1, 1, "linear"),
    ("noise3", 61, 1, "linear"),
    ("noise3", 13, 11, "area"),
    ("noise3", 100, 80, "area"),
    ("noise3", 1, 1, "area"),
    ("noise1", 29, 19, "linear"),
    ("noise1", 77, 90, "linear"),
    ("noise1", 17, 13, "area"),
    ("noise1", 53, 82, "area"),
]

INTERP = {"linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA}


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "Tests", "Fixtures", "image"))
    ap.add_argument("--tiff-only", action="store_true", help="write only Tests/Fixtures/media/pattern.tiff")
    args = ap.parse_args()
    if args.tiff_only:
        make_tiff(os.path.join(here, "..", "Tests", "Fixtures", "media"))
        return
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(SEED)

    srcs = {
        "astronaut": np.ascontiguousarray(skimage.data.astronaut()[20:180, 150:278, :]),
        "noise3": rng.integers(0, 256, (47, 61, 3), dtype=np.uint8),
        "noise1": rng.integers(0, 256, (41, 53), dtype=np.uint8),
    }
    out = {f"src.{k}": v for k, v in srcs.items()}
    cases = []
    for k, (name, w, h, interp) in enumerate(CASES):
        out[f"resize.{k}"] = cv2.resize(srcs[name], (w, h), interpolation=INTERP[interp])
        cases.append(f"{k} {name} {w} {h} {interp}")
    for name in ("astronaut", "noise3"):
        out[f"gray.{name}"] = cv2.cvtColor(srcs[name], cv2.COLOR_RGB2GRAY)

    # YUYV: Y0 U Y1 V per pixel pair; values over the full 0..255 range so that the
    # clamping of Y below 16 and the saturation of R, G, B are exercised.
    yuyv = rng.integers(0, 256, (10, 16, 2), dtype=np.uint8)
    out["yuyv.in"] = yuyv
    out["yuyv.rgb"] = cv2.cvtColor(yuyv, cv2.COLOR_YUV2RGB_YUYV)
    nv12 = rng.integers(0, 256, (15, 16), dtype=np.uint8)
    out["nv12.in"] = nv12
    out["nv12.rgb"] = cv2.cvtColor(nv12, cv2.COLOR_YUV2RGB_NV12)

    out = {k: np.ascontiguousarray(v) for k, v in out.items()}
    meta = {"fercore.resize": ";".join(cases), "fercore.opencv": cv2.__version__}
    path = os.path.join(args.out, "image_ops.safetensors")
    save_file(out, path, metadata=meta)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, opencv {cv2.__version__})")
    make_media(os.path.join(os.path.dirname(os.path.abspath(args.out)), "media"))


def pattern(k, w=64, h=48):
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:, :] = (20 * k, 100, 220 - 15 * k)
    rgb[18:30, 4 + 4 * k:16 + 4 * k] = 255
    return rgb


def make_media(out):
    os.makedirs(out, exist_ok=True)
    expected = {}
    path = os.path.join(out, "pattern.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for k in range(12):
        writer.write(pattern(k)[:, :, ::-1].copy())
    writer.release()
    cap = cv2.VideoCapture(path)
    k = 0
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        expected[f"frames.{k}"] = np.ascontiguousarray(bgr[:, :, ::-1])
        k += 1
    assert k == 12, k
    for ext in ("png", "jpg", "bmp"):
        p = os.path.join(out, f"pattern.{ext}")
        cv2.imwrite(p, pattern(0)[:, :, ::-1].copy())
        expected[ext] = np.ascontiguousarray(cv2.imread(p)[:, :, ::-1])
    # A 6x48 colour JPEG with 4:2:0 chroma (cv2's default sampling): narrower than the
    # 16 pixels libswscale's SIMD RGB24 conversion stores at a time (MediaReliabilityTests).
    narrow = np.zeros((48, 6, 3), np.uint8)
    narrow[:, :] = (40, 120, 220)  # BGR of RGB (220, 120, 40)
    cv2.imwrite(os.path.join(out, "narrow420.jpg"), narrow)
    save_file(expected, os.path.join(out, "expected.safetensors"), metadata={"fercore.opencv": cv2.__version__})
    make_tiff(out)
    print(f"wrote {out}: {sorted(os.listdir(out))}")


def make_tiff(out):
    from PIL import Image
    Image.fromarray(pattern(0)).save(os.path.join(out, "pattern.tiff"), dpi=(72, 72))


if __name__ == "__main__":
    main()

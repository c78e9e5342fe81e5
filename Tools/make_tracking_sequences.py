#!/usr/bin/env python3
"""Generates tracking sequences with known ground truth from a public-domain photo.

The face of skimage.data.astronaut() (NASA, public domain) is cut out with a soft elliptical
mask and composited, moving, onto a static blurred background made from the same photo,
in 640x480 frames. Six families, each with a fixed seed:
translation, scale (0.5-2x), rotation (+-35 deg in-plane), occlusion, lighting, blur.
Frames are returned in memory (or written as PPM by compare_tracking.py); nothing is committed.
"""
import math

import numpy as np

W, H = 640, 480
FACE = (178.0, 62.0, 98.0, 112.0)   # x, y, w, h of the face in astronaut()
FAMILIES = ["translation", "scale", "rotation", "occlusion", "lighting", "blur"]


def _assets():
    import cv2
    import skimage.data
    img = skimage.data.astronaut().astype(np.float32)
    bg = cv2.resize(img[:, ::-1], (W, H), interpolation=cv2.INTER_AREA)
    bg = cv2.GaussianBlur(bg, (0, 0), 3)
    fx, fy, fw, fh = FACE
    cx, cy = fx + fw / 2, fy + fh / 2
    # Sprite: the head with margin, alpha = soft ellipse 1.25x the face box.
    x0, y0, x1, y1 = int(cx - fw), int(cy - fh), int(cx + fw), int(cy + fh)
    sprite = img[y0:y1, x0:x1]
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    r = ((xx + 0.5 - cx) / (0.62 * fw)) ** 2 + ((yy + 0.5 - cy) / (0.62 * fh)) ** 2
    alpha = np.clip((1.25 - r) / 0.25, 0, 1)[..., None]
    return bg, sprite, alpha, (cx - x0, cy - y0)


def _motion(family, t, n, rng_params):
    """Centre, scale and angle (deg) of the face at frame t."""
    a, b, c, d = rng_params
    u = t / (n - 1)
    cx = W / 2 + 150 * math.sin(2 * math.pi * (a * u) + b)
    cy = H / 2 + 90 * math.sin(2 * math.pi * (c * u) + d)
    s, ang = 1.0, 0.0
    if family == "scale":
        s = 2.0 ** math.sin(2 * math.pi * u)          # 1 -> 2 -> 0.5 -> 1
        cx, cy = W / 2 + 40 * math.sin(2 * math.pi * u), H / 2
    elif family == "rotation":
        ang = 35 * math.sin(2 * math.pi * 1.5 * u)
        cx, cy = W / 2 + 60 * math.sin(2 * math.pi * u), H / 2 + 30 * math.cos(2 * math.pi * u)
    elif family == "blur":
        # Fast motion: two full sweeps.
        cx = W / 2 + 200 * math.sin(2 * math.pi * 2 * u)
        cy = H / 2 + 60 * math.sin(2 * math.pi * 3 * u + b)
    return cx, cy, s, ang


def generate(family, seed, n=90):
    """Yields (frame RGB uint8 HxWx3, truth box (x, y, w, h)) for one sequence."""
    import cv2
    bg, sprite, alpha, (ox, oy) = _assets()
    rng = np.random.default_rng(seed)
    params = (rng.uniform(0.6, 1.2), rng.uniform(0, 6.28), rng.uniform(0.6, 1.2), rng.uniform(0, 6.28))
    prev = None
    for t in range(n):
        cx, cy, s, ang = _motion(family, t, n, params)
        m = cv2.getRotationMatrix2D((ox, oy), ang, s)
        m[0, 2] += cx - ox
        m[1, 2] += cy - oy
        spr = cv2.warpAffine(sprite, m, (W, H), flags=cv2.INTER_LINEAR)
        al = cv2.warpAffine(alpha, m, (W, H), flags=cv2.INTER_LINEAR)[..., None]
        frame = bg * (1 - al) + spr * al
        fw, fh = FACE[2] * s, FACE[3] * s
        truth = (cx - fw / 2, cy - fh / 2, fw, fh)
        if family == "occlusion" and n // 3 <= t < n // 3 + 20:
            # A grey textured bar covers the left ~55 % of the face for 20 frames.
            x0 = int(truth[0] - 10)
            x1 = int(truth[0] + 0.55 * fw)
            bar = 90 + 30 * np.sin(np.arange(H)[:, None] / 3.0 + np.arange(max(x1 - x0, 1))[None, :] / 5.0)
            frame[:, max(x0, 0):max(x1, 0)] = bar[:, : max(x1, 0) - max(x0, 0), None]
        if family == "lighting":
            gain = 1.0 + 0.6 * math.sin(2 * math.pi * 1.3 * t / (n - 1))   # 0.4 .. 1.6
            ramp = np.linspace(0.7, 1.3, W)[None, :, None] if (t // 30) % 2 else np.linspace(1.3, 0.7, W)[None, :, None]
            frame = frame * gain * ramp
        if family == "blur" and prev is not None:
            dx, dy = cx - prev[0], cy - prev[1]
            length = max(1, int(round(math.hypot(dx, dy))))
            k = np.zeros((length * 2 + 1, length * 2 + 1), np.float32)
            cv2.line(k, (length, length), (int(length + dx), int(length + dy)), 1.0, 1)
            k /= k.sum()
            frame = cv2.filter2D(frame, -1, k)
        prev = (cx, cy)
        yield np.clip(frame, 0, 255).astype(np.uint8), truth


if __name__ == "__main__":
    import sys
    for fam in FAMILIES:
        frames = list(generate(fam, seed=FAMILIES.index(fam) + 1, n=10))
        print(fam, len(frames), frames[0][1], file=sys.stderr)

#!/usr/bin/env python3
"""The demo clip Samples/astronaut_pan.mp4: public-domain faces with generated motion.

640x480, 30 fps, 10 s (300 frames), MPEG-4 Part 2 ('mp4v') in MP4, written with OpenCV's
bundled FFmpeg. The only face is the public-domain NASA portrait of astronaut Eileen
Collins shipped with scikit-image (skimage.data.astronaut()). The motion is generated:
the photo pans across a gradient background while it zooms in and out, then a second,
mirrored copy enters so that two faces are visible for the last ~3 seconds (exercising
multi-face tracking). Everything is deterministic: rerunning gives the same frames
(the encoded bytes may differ between OpenCV builds).

Usage: .venv-tools/bin/python Tools/make_sample_clip.py [--out Samples/astronaut_pan.mp4]
Pinned versions: Tools/requirements.txt (opencv-contrib-python-headless 5.0.0.93, scikit-image 0.26.0).
"""

import argparse
import math
import os

import cv2
import numpy as np
import skimage.data

W, H, FPS, SECONDS = 640, 480, 30, 10


def paste(canvas, img, cx, cy):
    h, w = img.shape[:2]
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    sx0, sy0 = max(0, -x0), max(0, -y0)
    dx0, dy0 = max(0, x0), max(0, y0)
    dx1, dy1 = min(W, x0 + w), min(H, y0 + h)
    if dx1 <= dx0 or dy1 <= dy0:
        return
    canvas[dy0:dy1, dx0:dx1] = img[sy0:sy0 + dy1 - dy0, sx0:sx0 + dx1 - dx0]


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "Samples", "astronaut_pan.mp4"))
    args = ap.parse_args()
    astro = skimage.data.astronaut()[:, :, ::-1]  # RGB -> BGR for OpenCV
    mirrored = astro[:, ::-1]
    yy, xx = np.mgrid[0:H, 0:W]
    background = np.stack([60 + 80 * xx / W, 90 + 60 * yy / H, 140 - 60 * xx / W], -1).astype(np.uint8)
    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    if not writer.isOpened():
        raise SystemExit("cv2.VideoWriter could not open " + args.out)
    n = FPS * SECONDS
    for i in range(n):
        t = i / n
        frame = background.copy()
        # Zoom between 0.45x and 0.8x of the 512x512 photo; pan left-right on a sine.
        size = int(512 * (0.62 + 0.18 * math.sin(2 * math.pi * t * 1.5)))
        img = cv2.resize(astro, (size, size), interpolation=cv2.INTER_AREA)
        cx = W / 2 + 150 * math.sin(2 * math.pi * t)
        cy = H / 2 + 30 * math.sin(4 * math.pi * t)
        paste(frame, img, cx, cy)
        if t > 0.7:
            s2 = 200
            img2 = cv2.resize(mirrored, (s2, s2), interpolation=cv2.INTER_AREA)
            enter = (t - 0.7) / 0.3
            paste(frame, img2, W + s2 / 2 - enter * (s2 + 20), H - s2 / 2 - 10)
        writer.write(frame)
    writer.release()
    print(f"wrote {args.out}: {n} frames, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()

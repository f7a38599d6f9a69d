/**
 * The live page: one self-contained HTML file (inline CSS and JS, no build step, no CDN), served at `/` by
 * the health server. It holds no data: it polls `/api/live` (cameras, events, stats) every second and each
 * camera's `/frames/<id>.jpg` twice a second, sending `Authorization: Bearer <token>` when the agent wants
 * one (the token is typed into the page or given once as `#token=...` and kept in sessionStorage; it never
 * travels in a URL to the server). Everything shown is set as text (no HTML from data).
 * Kept as a TypeScript string so it is inside dist/ with the rest of the code.
 */
export const LIVE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mask-edge live</title>
<style>
  :root { color-scheme: light dark; --ok: #1a9850; --warn: #f28e1c; --bad: #d7191c; --muted: #888; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #111; color: #eee; }
  header { padding: 10px 16px; background: #1c1c1c; display: flex; flex-wrap: wrap; gap: 18px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0 12px 0 0; }
  .stat b { font-variant-numeric: tabular-nums; }
  main { padding: 12px 16px; }
  #cameras { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 14px; }
  .camera { background: #1c1c1c; border-radius: 6px; overflow: hidden; }
  .camera img { display: block; width: 100%; background: #000; aspect-ratio: 4 / 3; object-fit: contain; }
  .camera .meta { padding: 8px 10px; display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
  .camera .name { font-weight: bold; font-size: 15px; }
  .badge { padding: 1px 8px; border-radius: 9px; font-size: 12px; background: #444; }
  .badge.online { background: var(--ok); } .badge.offline { background: var(--bad); } .badge.starting { background: var(--warn); }
  .count.correct { color: #4fc47f; } .count.incorrect { color: var(--warn); } .count.no_mask { color: #ff5a5a; }
  table { border-collapse: collapse; width: 100%; margin-top: 8px; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #333; }
  th { color: var(--muted); font-weight: normal; }
  td.alert { color: #ff5a5a; font-weight: bold; } td.cleared { color: #4fc47f; }
  h2 { font-size: 15px; margin: 18px 0 4px; }
  #auth { display: none; padding: 12px 16px; background: #3a2a00; }
  #status { color: var(--muted); }
  .empty { color: var(--muted); padding: 8px 0; }
</style>
</head>
<body>
<header>
  <h1>mask-edge live</h1>
  <span class="stat">fps <b id="s-fps">-</b></span>
  <span class="stat">latency p50/p95 <b id="s-latency">-</b> ms</span>
  <span class="stat">frames <b id="s-frames">-</b></span>
  <span class="stat">dropped <b id="s-dropped">-</b></span>
  <span class="stat">errors <b id="s-errors">-</b></span>
  <span class="stat">providers <b id="s-providers">-</b></span>
  <span id="status">connecting...</span>
</header>
<form id="auth">
  This agent wants a token for its live data:
  <input id="token" type="password" autocomplete="off" size="40" placeholder="health.token">
  <button type="submit">Show</button>
</form>
<main>
  <div id="cameras"></div>
  <h2>Last events</h2>
  <table id="events"><thead><tr><th>time</th><th>camera</th><th>event</th><th>label</th><th>score</th><th>top</th><th>track</th><th>snapshot</th></tr></thead><tbody></tbody></table>
  <div id="no-events" class="empty">no events yet</div>
</main>
<script>
'use strict';
(function () {
  var LABELS = ['correct', 'incorrect', 'no_mask'];
  var NAMES = { correct: 'mask OK', incorrect: 'mask incorrect', no_mask: 'no mask' };
  var token = sessionStorage.getItem('mask-edge-token') || '';
  var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    token = decodeURIComponent(m[1]);
    sessionStorage.setItem('mask-edge-token', token);
    history.replaceState(null, '', location.pathname);
  }
  var cards = {};
  var $ = function (id) { return document.getElementById(id); };
  function headers() { return token ? { Authorization: 'Bearer ' + token } : {}; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  $('auth').addEventListener('submit', function (ev) {
    ev.preventDefault();
    token = $('token').value.trim();
    sessionStorage.setItem('mask-edge-token', token);
    $('auth').style.display = 'none';
  });
  function fail(status, text) {
    $('status').textContent = text;
    if (status === 401) $('auth').style.display = 'block';
  }
  function card(cam) {
    var c = cards[cam.id];
    if (c) return c;
    var root = el('section', 'camera');
    root.dataset.camera = cam.id;
    var img = el('img');
    img.alt = 'camera ' + cam.id;
    img.dataset.frameIndex = '-1';
    var meta = el('div', 'meta');
    var name = el('span', 'name', cam.id);
    var state = el('span', 'badge state');
    var fps = el('span', 'fps');
    var counts = el('span', 'counts');
    var extra = el('span', 'extra');
    meta.append(name, state, fps, counts, extra);
    root.append(img, meta);
    $('cameras').append(root);
    c = cards[cam.id] = { root: root, img: img, state: state, fps: fps, counts: counts, extra: extra, url: '' };
    refreshFrame(cam.id);
    return c;
  }
  function refreshFrame(id) {
    var c = cards[id];
    fetch('frames/' + encodeURIComponent(id) + '.jpg', { headers: headers(), cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) return undefined;
        var index = r.headers.get('x-frame-index');
        return r.blob().then(function (b) { return { blob: b, index: index }; });
      })
      .then(function (f) {
        if (!f) return;
        var url = URL.createObjectURL(f.blob);
        c.img.onload = function () { if (c.url) URL.revokeObjectURL(c.url); c.url = url; };
        c.img.src = url;
        c.img.dataset.frameIndex = f.index || '0';
        c.img.dataset.updates = String(Number(c.img.dataset.updates || '0') + 1);
      })
      .catch(function () {})
      .then(function () { setTimeout(function () { refreshFrame(id); }, 500); });
  }
  function render(data) {
    var s = data.stats || {};
    $('s-fps').textContent = (s.fps || 0).toFixed(1);
    $('s-latency').textContent = s.latencyMs ? s.latencyMs.p50 + ' / ' + s.latencyMs.p95 : '-';
    $('s-frames').textContent = String(s.framesProcessed || 0);
    $('s-dropped').textContent = String(s.droppedFrames || 0);
    $('s-errors').textContent = String(s.errors || 0);
    $('s-providers').textContent = Object.keys(s.providers || {}).map(function (k) { return k + ' ' + s.providers[k]; }).join(', ');
    $('status').textContent = 'updated ' + new Date(data.ts).toLocaleTimeString();
    data.cameras.forEach(function (cam) {
      var c = card(cam);
      c.state.textContent = cam.state;
      c.state.className = 'badge state ' + cam.state;
      c.fps.textContent = cam.fps.toFixed(1) + ' fps';
      c.counts.textContent = '';
      LABELS.forEach(function (l) { c.counts.append(el('span', 'count ' + l, NAMES[l] + ' ' + (cam.counts[l] || 0) + '  ')); });
      c.extra.textContent = cam.sourceType + ', ' + cam.framesProcessed + ' frames, ' + cam.events + ' events' +
        (cam.hasZone ? ', zone (' + cam.outsideZone + ' faces outside)' : '');
    });
    var body = $('events').tBodies[0];
    body.textContent = '';
    $('no-events').style.display = data.events.length ? 'none' : 'block';
    data.events.slice(0, 20).forEach(function (e) {
      var tr = el('tr');
      tr.dataset.eventId = e.id;
      var alert = e.type !== 'end' && e.label !== 'correct';
      tr.append(
        el('td', '', new Date(e.ts).toLocaleTimeString()),
        el('td', '', e.camera),
        el('td', '', e.type),
        el('td', alert ? 'alert' : e.type !== 'end' ? 'cleared' : '', NAMES[e.label] || e.label),
        el('td', '', e.score.toFixed(2)),
        el('td', '', e.top_score === undefined ? '' : e.top_score.toFixed(2)),
        el('td', '', '#' + e.trackId),
        el('td', '', e.has_snapshot ? 'yes' : ''));
      body.append(tr);
    });
  }
  function poll() {
    fetch('api/live', { headers: headers(), cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) return r.json().then(function (b) { fail(r.status, b.error || r.statusText); });
        return r.json().then(render);
      })
      .catch(function (err) { fail(0, 'agent not reachable: ' + err.message); })
      .then(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>
</body>
</html>
`;

// Image uploads for the Images page. Files go from the browser straight to the REST API and never through the
// Blazor circuit (that would hold gigabytes in the server). Blazor owns the page; this module owns the File
// objects, the requests and the byte counting, and tells Blazor what happened at most twice a second.
//
// The content API: PUT /api/v1/images/{id}/content in chunks, each with "Content-Range: bytes start-end/total";
// 200 = chunk stored, 202 = everything arrived (the server checks and converts it next). HEAD .../content answers
// X-Bytes-Received, where to go on after a lost connection. DELETE .../content cancels and removes what arrived.
// Every request carries X-Kraut-Portal: 1, the only way the API accepts the session cookie (another site cannot
// send that header), so no token ever sits in the page.
//
// No SHA-256 in the browser: crypto.subtle.digest hashes a whole buffer, not a stream, so a multi-GB image would
// have to fit in memory. The server hashes what arrives and shows it on the image.

const CHUNK_BYTES = 64 * 1024 * 1024; // a lost connection costs at most one chunk
const REPORT_MS = 500;                // one progress call for all uploads, twice a second
const SMOOTHING = 0.3;                // weight of the newest sample in the speed's moving average
const RETRY_DELAYS_MS = [1000, 3000, 8000];   // automatic resumes after a lost connection; then the user decides
const RETRYABLE = new Set([0, 408, 429, 502, 503, 504]);
const REPORT_AGAIN_MS = 3000;         // how soon to retell a state change the page has not confirmed (circuit down?)
const MAX_PARALLEL = 2;               // more would only share the same bandwidth, and finish all of them late
const HEADERS = { 'X-Kraut-Portal': '1', 'X-Requested-With': 'XMLHttpRequest' }; // the latter: 401, not a login redirect

// What people read when the server sent no problem+json detail.
const FALLBACKS = {
  0: 'The connection to the server was lost.',
  401: 'Your sign-in has expired. Reload the page and sign in again.',
  403: 'You may not upload to this image.',
  404: 'Not found: the image is gone, or this server does not accept image content.',
  405: 'This server does not take image content (a version without uploads?).',
  409: 'The image is not waiting for content.',
  413: 'The file is larger than this server accepts.',
  422: 'The server refused the content.',
  507: 'The server has no space left for this image.',
};

// Module state outlives the page component: uploads go on while someone looks at other portal pages, and the
// Images page takes them up again when it comes back (attach returns them).
const uploads = new Map(); // key → upload (see addFiles)
let view = null;           // the page currently listening: { dotnet, zone, detach }
let nextKey = 1;
let ticker = 0;
const unreported = new Set(); // keys of uploads whose last state change the page did not receive
let reportTimer = 0;

window.addEventListener('beforeunload', e => {
  // Reloading or closing the tab ends the uploads; ask first (the browser shows its own words).
  if ([...uploads.values()].some(u => u.state === 'uploading' || u.state === 'retrying')) e.preventDefault();
});

/** Listens for files dropped anywhere on the page or chosen with the input; returns the uploads already known. */
export function attach(zone, input, dotnet) {
  view?.detach();
  const hasFiles = e => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
  const over = e => {
    if (!hasFiles(e)) return;
    e.preventDefault(); // without this the browser would open the file instead of letting us have it
    e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('kraut-drop-active');
  };
  const leave = e => { if (!e.relatedTarget) zone.classList.remove('kraut-drop-active'); }; // left the window
  const drop = e => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    zone.classList.remove('kraut-drop-active');
    addFiles(e.dataTransfer);
  };
  const change = () => {
    addFiles(input);
    input.value = ''; // choosing the same file again must fire 'change' again
  };
  // Any element with data-kraut-choose opens the file dialog. Done here, in the click itself, because browsers
  // open it only during a user's gesture, which a round trip to the server might outlast.
  const click = e => { if (e.target.closest?.('[data-kraut-choose]')) input.click(); };
  window.addEventListener('dragenter', over);
  window.addEventListener('dragover', over);
  window.addEventListener('dragleave', leave);
  window.addEventListener('drop', drop);
  input.addEventListener('change', change);
  document.addEventListener('click', click);
  unreported.clear(); // the new page gets every upload's state below
  zone.dataset.krautReady = '1'; // tests (and curious people) can see the page listens now
  view = {
    dotnet,
    zone,
    detach() {
      window.removeEventListener('dragenter', over);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
      input.removeEventListener('change', change);
      document.removeEventListener('click', click);
      view = null;
    },
  };
  return [...uploads.values()].map(describe);
}

/** Stops telling the page that attached this zone anything (it is going away); uploads continue. */
export function detach(zone) {
  if (view?.zone === zone) view.detach();
}

/**
 * Queues a staged file for upload into an image record that Blazor created. With resume, it first asks the server
 * how much it already has (an image that got part of this file before).
 */
export function start(key, imageId, resume) {
  const u = uploads.get(key);
  if (!u?.file) return false;
  u.imageId = imageId;
  enqueue(u, resume);
  return true;
}

/** Resumes an interrupted or failed upload where the server says it stopped. */
export function resume(key) {
  const u = uploads.get(key);
  if (!u?.file || !u.imageId) return false;
  enqueue(u, true);
  return true;
}

function enqueue(u, askServerFirst) {
  u.askServerFirst = askServerFirst;
  setState(u, 'queued');
  pump();
}

/** Starts queued uploads, oldest first, while fewer than MAX_PARALLEL run. */
function pump() {
  for (const u of uploads.values()) {
    const busy = [...uploads.values()].filter(x => x.state === 'uploading' || x.state === 'retrying').length;
    if (busy >= MAX_PARALLEL) return;
    if (u.state !== 'queued') continue;
    u.retries = u.resyncs = 0;
    u.speed = u.sampledAt = 0; // a fresh start (or a resume by hand) measures its speed afresh
    if (u.askServerFirst) resumeFromServer(u);
    else sendChunk(u);
  }
}

/** Aborts the upload and asks the server to drop what arrived. Returns null, or why the server refused. */
export async function cancel(key) {
  const u = uploads.get(key);
  if (!u) return null;
  clearTimeout(u.timer);
  u.state = 'cancelled';
  u.xhr?.abort();
  u.xhr = null;
  uploads.delete(key);
  pump();
  return u.imageId ? cancelContent(u.imageId) : null;
}

/** Asks the server to stop receiving content (an upload from elsewhere, or a URL import) and drop it. */
export async function cancelContent(imageId) {
  const r = await call('DELETE', contentUrl(imageId));
  return r.ok || r.status === 404 || r.status === 405 ? null : r.problem; // nothing there to remove
}

/** Forgets a finished, failed or staged upload (the row was dismissed). */
export function forget(key) {
  const u = uploads.get(key);
  if (u && u.state !== 'uploading' && u.state !== 'retrying') uploads.delete(key);
}

/** Asks the server to download an image from a URL. Returns null, or why it refused. */
export async function importUrl(imageId, url, sha256) {
  const body = JSON.stringify(sha256 ? { url, sha256 } : { url });
  const r = await call('POST', `api/v1/images/${imageId}/import`, body);
  return r.ok ? null : r.problem;
}

function addFiles(source) {
  const added = [];
  let folders = 0;
  // DataTransfer items tell folders apart (a folder arrives as a File that cannot be read); an input's list cannot hold any.
  const items = source.items ? [...source.items].filter(i => i.kind === 'file') : null;
  const files = items ? items.map(i => (i.webkitGetAsEntry?.()?.isDirectory ? null : i.getAsFile())) : [...source.files];
  for (const file of files) {
    if (!file) { folders++; continue; }
    const u = {
      key: String(nextKey++), file, name: file.name, size: file.size, imageId: null,
      state: 'staged', message: null,
      sent: 0,     // bytes the server confirmed
      inFlight: 0, // bytes of the current chunk handed to the network
      speed: 0, sampledBytes: 0, sampledAt: 0, retries: 0, resyncs: 0, xhr: null, timer: 0,
    };
    uploads.set(u.key, u);
    added.push(describe(u));
  }
  tell('OnFilesAdded', added, folders);
}

function sendChunk(u) {
  const end = Math.min(u.sent + CHUNK_BYTES, u.size);
  const xhr = new XMLHttpRequest();
  xhr.open('PUT', contentUrl(u.imageId));
  for (const [name, value] of Object.entries(HEADERS)) xhr.setRequestHeader(name, value);
  xhr.setRequestHeader('Content-Type', 'application/octet-stream');
  if (u.size > 0) xhr.setRequestHeader('Content-Range', `bytes ${u.sent}-${end - 1}/${u.size}`);
  xhr.upload.onprogress = e => { u.inFlight = e.loaded; };
  xhr.onload = () => answered(u, xhr, end);
  xhr.onerror = xhr.ontimeout = () => { if (u.xhr === xhr) connectionLost(u, 0); };
  u.xhr = xhr;
  u.inFlight = 0;
  setState(u, 'uploading');
  // A slice is a window onto the file on disk: nothing is read into memory before the browser sends it.
  xhr.send(u.file.slice(u.sent, end));
}

function answered(u, xhr, end) {
  if (u.xhr !== xhr) return; // cancelled meanwhile
  u.xhr = null;
  u.inFlight = 0;
  if (xhr.status === 202) {
    u.sent = u.size;
    finished(u);
  } else if (xhr.status === 200 || xhr.status === 204) {
    const received = Number(xhr.getResponseHeader('X-Bytes-Received'));
    u.sent = Number.isFinite(received) && xhr.getResponseHeader('X-Bytes-Received') !== null ? received : end;
    u.retries = u.resyncs = 0;
    if (u.sent < u.size) sendChunk(u);
    else checkArrived(u); // every byte sent, yet no 202: let the image's phase decide
  } else if (RETRYABLE.has(xhr.status)) {
    connectionLost(u, xhr.status);
  } else if (xhr.status === 409 && u.resyncs < 2) {
    // Out of step with the server: an aborted request it still holds, or a chunk it has that we never heard about.
    u.resyncs++;
    u.timer = setTimeout(() => resumeFromServer(u), 1000);
  } else if (xhr.status === 409) {
    checkArrived(u, problemOf(xhr.status, xhr.responseText)); // e.g. the last chunk's answer was lost on the way
  } else {
    failed(u, problemOf(xhr.status, xhr.responseText));
  }
}

function connectionLost(u, status) {
  u.xhr = null;
  u.inFlight = 0;
  if (u.retries < RETRY_DELAYS_MS.length) {
    const delay = RETRY_DELAYS_MS[u.retries++];
    setState(u, 'retrying', `${FALLBACKS[status] ?? `The server answered ${status}.`} Trying again in ${delay / 1000} s…`);
    u.timer = setTimeout(() => resumeFromServer(u), delay);
  } else {
    setState(u, 'interrupted', `${FALLBACKS[status] ?? `The server answered ${status}.`} Resume goes on where it stopped.`);
    pump();
  }
}

/** Asks the server how much it has, and goes on from there. */
async function resumeFromServer(u) {
  if (!uploads.has(u.key)) return;
  setState(u, 'uploading');
  const r = await call('HEAD', contentUrl(u.imageId));
  if (!uploads.has(u.key) || u.state !== 'uploading') return;
  if (RETRYABLE.has(r.status)) return connectionLost(u, r.status);
  if (!r.ok) return checkArrived(u, r.problem);
  const received = Number(r.headers.get('X-Bytes-Received') ?? 0);
  if (received >= u.size && u.size > 0) return checkArrived(u);
  u.sent = received;
  u.sampledBytes = received; // a resumed upload's speed counts only what it sends itself
  sendChunk(u);
}

/** The content may be complete although no 202 came back: the image's phase tells. */
async function checkArrived(u, problem) {
  const r = await call('GET', `api/v1/images/${u.imageId}`);
  const phase = r.ok ? (await r.json()).status?.phase : null;
  if (['checking', 'converting', 'ready'].includes(phase)) finished(u);
  else if (phase === 'failed') finished(u); // the page shows the image's own message
  else failed(u, problem ?? 'The server has every byte but did not take the upload as complete.');
}

function finished(u) {
  u.sent = u.size;
  u.file = null; // nothing to resume any more; let the browser let go of it
  setState(u, 'done');
  pump();
}

function failed(u, message) {
  setState(u, 'failed', message);
  pump();
}

function setState(u, state, message = null) {
  if (!uploads.has(u.key)) return;
  const changed = u.state !== state || u.message !== message;
  u.state = state;
  u.message = message;
  if (state === 'uploading' && !ticker) {
    ticker = setInterval(tick, REPORT_MS);
  }
  if (changed) report(u);
}

/**
 * Tells the page an upload's new state. While the circuit is down (the same lost network that broke the upload)
 * the call is lost: Blazor neither delivers it nor settles its promise. The page would then show "uploading" after it
 * reconnects, with no Resume button. So a state change counts as heard only once the call returns, and is told again
 * every few seconds until then (telling twice is harmless: the page applies the same state again).
 */
function report(u) {
  if (!view) return; // no page listens: attach hands every upload's state to the next one
  const seq = u.told = (u.told ?? 0) + 1;
  unreported.add(u.key);
  if (!reportTimer) reportTimer = setInterval(reportAgain, REPORT_AGAIN_MS);
  view.dotnet.invokeMethodAsync('OnUploadChanged', describe(u))
    .then(() => { if (u.told === seq) unreported.delete(u.key); })
    .catch(() => {});
}

function reportAgain() {
  for (const key of [...unreported]) {
    const u = uploads.get(key);
    if (u && view) report(u);
    else unreported.delete(key);
  }
  if (unreported.size === 0) {
    clearInterval(reportTimer);
    reportTimer = 0;
  }
}

/** Samples every running upload's bytes, smooths its speed, and reports all of them in one call. */
function tick() {
  const now = performance.now();
  const running = [...uploads.values()].filter(u => u.state === 'uploading' || u.state === 'retrying');
  if (running.length === 0) {
    clearInterval(ticker);
    ticker = 0;
    return;
  }
  for (const u of running) {
    const bytes = u.sent + u.inFlight;
    if (u.sampledAt) {
      const sample = Math.max(0, bytes - u.sampledBytes) / ((now - u.sampledAt) / 1000);
      u.speed = u.speed ? u.speed + SMOOTHING * (sample - u.speed) : sample;
    }
    u.sampledBytes = bytes;
    u.sampledAt = now;
  }
  tell('OnProgress', running.map(describe));
}

function describe(u) {
  return {
    key: u.key, fileName: u.name, size: u.size, imageId: u.imageId, state: u.state, message: u.message,
    sent: Math.min(u.size, u.sent + u.inFlight), bytesPerSecond: u.speed, canResume: !!u.file && !!u.imageId,
  };
}

function tell(method, ...args) {
  // The circuit may be gone (page closed, server restarted); the uploads do not depend on it.
  view?.dotnet.invokeMethodAsync(method, ...args).catch(() => {});
}

const contentUrl = id => `api/v1/images/${id}/content`;

/** One small API request with the portal's header; never throws. */
async function call(method, url, body) {
  try {
    const response = await fetch(url, {
      method, body, credentials: 'same-origin',
      headers: body ? { ...HEADERS, 'Content-Type': 'application/json' } : HEADERS,
    });
    const problem = response.ok ? null : problemOf(response.status, await response.text());
    return { ok: response.ok, status: response.status, headers: response.headers, problem, json: () => response.json() };
  } catch {
    return { ok: false, status: 0, headers: new Headers(), problem: FALLBACKS[0], json: async () => ({}) };
  }
}

/** The sentence to show for a refused request: problem+json's detail, else a plain one. */
function problemOf(status, text) {
  let title = null;
  try {
    const problem = JSON.parse(text);
    if (problem?.detail) return problem.detail;
    title = problem?.title ?? null;
  } catch { /* not JSON: a proxy's HTML page, or nothing */ }
  return FALLBACKS[status] ?? `The server answered ${status}${title ? ` (${title})` : ''}.`;
}

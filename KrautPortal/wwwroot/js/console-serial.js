// A VM's serial console in the page: xterm.js on a WebSocket to the portal, which relays libvirt's console stream.
// Binary frames carry raw bytes both ways; text frames carry JSON control messages (state, closed). The ticket that
// authorises the socket travels as a subprotocol, never in the URL. A dropped connection is retried only with a fresh
// ticket from the circuit (a ticket is good for one socket); a close the server explains ("closed") is not retried.
import { Terminal } from "../lib/xterm/xterm.mjs";
import { FitAddon } from "../lib/xterm/addon-fit.mjs";

const RETRY_MS = [1000, 2000, 5000, 10000];
const encoder = new TextEncoder();

function loadCss() {
  const href = new URL("../lib/xterm/xterm.css", import.meta.url).href;
  if ([...document.styleSheets].some(s => s.href === href) || document.querySelector(`link[data-kraut-xterm]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  link.dataset.krautXterm = "";
  document.head.appendChild(link);
}

/**
 * Opens the terminal in `host` and connects it. `dotnet` is the component: OnState(typing, typist, viewers),
 * OnConnection(connected, message), FreshTicket() → {url, protocols} or null. Returns the console's handle.
 */
export function open(host, dotnet, ticket) {
  loadCss();
  const term = new Terminal({ cursorBlink: true, convertEol: false, scrollback: 5000, fontSize: 14 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(host);
  fit.fit();

  let socket = null;
  let closedOnPurpose = false;
  let explained = false;
  let attempt = 0;
  let retryTimer = 0;

  const send = bytes => { if (socket?.readyState === WebSocket.OPEN) socket.send(bytes); };
  const sendControl = message => { if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message)); };

  term.onData(data => send(encoder.encode(data)));
  term.onBinary(data => send(Uint8Array.from(data, c => c.charCodeAt(0) & 0xff)));
  term.onResize(({ cols, rows }) => sendControl({ op: "resize", cols, rows }));

  const resize = new ResizeObserver(() => { try { fit.fit(); } catch { /* hidden: no size to fit */ } });
  resize.observe(host);

  function connect(t) {
    explained = false;
    const ws = new WebSocket(t.url, t.protocols);
    ws.binaryType = "arraybuffer";
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      // The server starts with the log's tail: a reconnect starts from a clean screen, not a doubled history.
      term.reset();
      dotnet.invokeMethodAsync("OnConnection", true, null);
      sendControl({ op: "resize", cols: term.cols, rows: term.rows });
      term.focus();
    };
    ws.onmessage = e => {
      if (typeof e.data !== "string") {
        term.write(new Uint8Array(e.data));
        return;
      }
      let message;
      try { message = JSON.parse(e.data); } catch { return; }
      if (message.op === "state") {
        dotnet.invokeMethodAsync("OnState", !!message.typing, message.typist ?? null, message.viewers ?? 0);
      } else if (message.op === "closed") {
        explained = true;
        dotnet.invokeMethodAsync("OnConnection", false, message.reason ?? "The console was closed.");
      }
    };
    ws.onclose = e => {
      if (socket !== ws) return;
      socket = null;
      if (closedOnPurpose) return;
      if (explained) return;
      retry(e.reason);
    };
  }

  async function retry(reason) {
    const delay = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
    attempt++;
    dotnet.invokeMethodAsync("OnConnection", false, `Connection lost${reason ? ` (${reason})` : ""}; reconnecting…`);
    retryTimer = setTimeout(async () => {
      if (closedOnPurpose) return;
      let fresh = null;
      try { fresh = await dotnet.invokeMethodAsync("FreshTicket"); } catch { /* the circuit is gone */ }
      if (closedOnPurpose) return;
      if (fresh) connect(fresh);
    }, delay);
  }

  connect(ticket);

  const handle = {
    takeOver() { sendControl({ op: "takeover" }); term.focus(); },
    // Pasted text goes in as keystrokes; a line break is the Enter key (CR), as typing it would send.
    typeText(text) { send(encoder.encode(text.replace(/\r?\n/g, "\r"))); term.focus(); },
    fullScreen() { host.requestFullscreen?.().then(() => fit.fit()).catch(() => { }); },
    // What the terminal shows, for tests and screen readers' "copy all".
    text() {
      const buffer = term.buffer.active;
      const lines = [];
      for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
      return lines.join("\n");
    },
    close() {
      closedOnPurpose = true;
      clearTimeout(retryTimer);
      resize.disconnect();
      socket?.close(1000, "viewer left");
      socket = null;
      term.dispose();
      delete host.krautConsole;
    },
  };
  // Tests and the browser's console reach the open console through its element.
  host.krautConsole = handle;
  return handle;
}

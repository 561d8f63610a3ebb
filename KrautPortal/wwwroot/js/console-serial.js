// A VM's serial console in the page: xterm.js on a WebSocket to the portal, which relays libvirt's console stream.
// Binary frames carry raw bytes both ways; text frames carry JSON control messages (state, closed). The ticket that
// authorises the socket travels as a subprotocol, never in the URL. A dropped connection is retried only with a fresh
// ticket from the circuit (a ticket is good for one socket); a close the server explains ("closed") is not retried.
import { Terminal } from "../lib/xterm/xterm.mjs";
import { FitAddon } from "../lib/xterm/addon-fit.mjs";
import { reconnector } from "./console-reconnect.js";

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
  // A little extra line height: at 1.0 the DOM renderer clips underscores in common monospace fonts.
  const term = new Terminal({ cursorBlink: true, scrollback: 5000, fontSize: 14, lineHeight: 1.15 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(host);
  fit.fit();

  let socket = null;
  let explained = false;
  const reconnect = reconnector(dotnet, t => connect(t));

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
      reconnect.connected();
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
      if (reconnect.stopped) return;
      if (explained) return;
      reconnect.retry(e.reason);
    };
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
      reconnect.stop();
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

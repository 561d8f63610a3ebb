// A VM's screen in the page: noVNC's RFB client on a WebSocket to the portal, which relays the VM's VNC socket
// byte for byte. The socket is opened here (not by noVNC) so the ticket rides in the subprotocols, never in the URL.
// noVNC uses QEMU's extended key events when the server offers them (QEMU does): keys travel as scancodes, so the
// guest's own keyboard layout applies and non-US layouts type what their keys say.
import RFB from "../lib/novnc/core/rfb.js";
import keysyms from "../lib/novnc/core/input/keysymdef.js";
import { reconnector } from "./console-reconnect.js";

const XK_Return = 0xff0d;
const XK_Tab = 0xff09;
const XK_BackSpace = 0xff08;
const XK_Shift_L = 0xffe1;

/**
 * Opens the screen in `host` and connects it. `dotnet` is the component: OnConnection(connected, message),
 * FreshTicket() → {url, protocols} or null. Returns the console's handle.
 */
export function open(host, dotnet, ticket) {
  let rfb = null;
  const reconnect = reconnector(dotnet, t => connect(t));
  let scale = true;

  function connect(t) {
    const ws = new WebSocket(t.url, t.protocols);
    ws.binaryType = "arraybuffer";
    let closeReason = "";
    ws.addEventListener("close", e => { closeReason = e.reason; });
    const client = new RFB(host, ws, { shared: true });
    client.scaleViewport = scale;
    client.resizeSession = false;
    client.focusOnClick = true;
    rfb = client;
    client.addEventListener("connect", () => {
      reconnect.connected();
      dotnet.invokeMethodAsync("OnConnection", true, null);
      client.focus();
    });
    client.addEventListener("disconnect", e => {
      if (rfb !== client) return;
      rfb = null;
      if (reconnect.stopped) return;
      // A reason in the close frame is the server's word (VM deleted, closed by an administrator): not retried.
      if (closeReason) {
        dotnet.invokeMethodAsync("OnConnection", false, closeReason);
        return;
      }
      reconnect.retry(e.detail?.clean === false ? "the connection dropped" : "");
    });
    client.addEventListener("securityfailure", e => {
      dotnet.invokeMethodAsync("OnConnection", false, `The VNC server refused: ${e.detail?.reason ?? "security failure"}`);
    });
  }


  function keysymFor(ch) {
    if (ch === "\n") return XK_Return;
    if (ch === "\t") return XK_Tab;
    if (ch === "\b") return XK_BackSpace;
    return keysyms.lookup(ch.codePointAt(0));
  }

  connect(ticket);

  const handle = {
    sendCtrlAltDel() { rfb?.sendCtrlAltDel(); },
    // Pasted text as key presses. Without a physical key (no scancode) QEMU maps each keysym through its own keymap,
    // which needs Shift pressed for capitals.
    typeText(text) {
      if (!rfb) return;
      for (const ch of text.replace(/\r\n?/g, "\n")) {
        const keysym = keysymFor(ch);
        if (!keysym) continue;
        const shifted = ch !== ch.toLowerCase();
        if (shifted) rfb.sendKey(XK_Shift_L, "ShiftLeft", true);
        rfb.sendKey(keysym, null);
        if (shifted) rfb.sendKey(XK_Shift_L, "ShiftLeft", false);
      }
      rfb.focus();
    },
    setScale(on) { scale = !!on; if (rfb) rfb.scaleViewport = scale; },
    fullScreen() { host.requestFullscreen?.().catch(() => { }); },
    close() {
      reconnect.stop();
      rfb?.disconnect();
      rfb = null;
      delete host.krautConsole;
    },
  };
  host.krautConsole = handle;
  return handle;
}

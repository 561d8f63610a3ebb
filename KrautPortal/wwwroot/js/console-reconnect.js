// Reconnecting a console after its socket dropped: never with the old ticket (tickets are one-time), always with a
// fresh one the page's circuit issues, after a pause that grows with each failed attempt.
const RETRY_MS = [1000, 2000, 5000, 10000];

/**
 * `dotnet` is the console component (OnConnection(connected, message), FreshTicket() → {url, protocols} or null);
 * `connect(ticket)` opens a new socket. Call connected() when a socket opened, retry(reason) when one dropped
 * unexplained, stop() when the viewer leaves.
 */
export function reconnector(dotnet, connect) {
  let attempt = 0;
  let timer = 0;
  let stopped = false;
  return {
    get stopped() { return stopped; },
    connected() { attempt = 0; },
    retry(reason) {
      const delay = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
      attempt++;
      dotnet.invokeMethodAsync("OnConnection", false, `Connection lost${reason ? ` (${reason})` : ""}; reconnecting…`);
      timer = setTimeout(async () => {
        if (stopped) return;
        let fresh = null;
        try { fresh = await dotnet.invokeMethodAsync("FreshTicket"); } catch { /* the circuit is gone */ }
        if (stopped) return;
        if (fresh) connect(fresh);
      }, delay);
    },
    stop() { stopped = true; clearTimeout(timer); },
  };
}

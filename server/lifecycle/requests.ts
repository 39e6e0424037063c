// In-flight request tracking and the SIGTERM drain: what close() needs to answer every request that was
// already on its way before the listener goes.

import type { Server as HttpServer } from 'node:http';
import type { RequestHandler } from 'express';

export interface RequestTracker {
  /** first middleware: counts the request in flight until its response closes */
  middleware: RequestHandler;
  /** true once drain() began (/readyz fails, responses say Connection: close) */
  draining(): boolean;
  /**
   * Waits until no request has come or been in flight for a quiet moment (at most until `drainMs`), then
   * closes the listener and waits for the requests still in flight. Requests already on their way (a body
   * sent but not yet parsed while the loop was busy, a push waiting for its group commit) are still served:
   * Node's close() also drops connections it considers idle, which includes one whose request it has not
   * parsed yet, and closing first lost such pushes under load.
   */
  drain(http: HttpServer, drainMs: number): Promise<void>;
}

/** No request for this long (and none in flight) means the clients have gone elsewhere. */
const QUIET_MS = 250;

export function createRequestTracker(): RequestTracker {
  let draining = false;
  let inFlight = 0;
  let lastRequestAt = 0;
  const sleep = () => new Promise((r) => setTimeout(r, 10));
  return {
    middleware(_req, res, next) {
      inFlight++;
      lastRequestAt = Date.now();
      res.once('close', () => inFlight--);
      // While draining, keep-alive clients are told to reconnect (to another instance, or after restart).
      if (draining) res.setHeader('Connection', 'close');
      next();
    },
    draining: () => draining,
    async drain(http, drainMs) {
      draining = true;
      const until = Date.now() + drainMs;
      while (Date.now() < until && (inFlight > 0 || Date.now() - lastRequestAt < QUIET_MS)) await sleep();
      http.close();
      http.closeIdleConnections();
      while (inFlight > 0 && Date.now() < until) await sleep();
    },
  };
}

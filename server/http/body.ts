import type { Request, Response } from 'express';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';

// Request bodies under one budget for the whole process (issue 11 case 8: 40 concurrent 15 MiB uploads
// that withheld their last byte took RSS from 112 to 706 MB and held it until the ~300 s request timeout,
// since every body was buffered whole before anything looked at it).

/** Bytes all in-flight request bodies may hold at once (ServerOptions.maxBufferedBodyBytes). */
export const DEFAULT_BODY_BUDGET_BYTES = 64 * 1024 * 1024;
/**
 * How long a body may take to arrive in full (ServerOptions.bodyTimeoutMs). A 16 MiB push takes well
 * under a second on a site LAN and 13 s at 10 Mbit/s; past 30 s it is stalled or trickled on purpose, and
 * its share of the budget goes back.
 */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

export interface BodyBudget {
  readonly limit: number;
  used(): number;
  /** takes n bytes if they fit, else takes nothing and answers false */
  tryTake(n: number): boolean;
  give(n: number): void;
}

export function createBodyBudget(limit = DEFAULT_BODY_BUDGET_BYTES): BodyBudget {
  let used = 0;
  return {
    limit,
    used: () => used,
    tryTake(n) {
      if (used + n > limit) return false;
      used += n;
      return true;
    },
    give(n) {
      used = Math.max(0, used - n);
    },
  };
}

// Refused bodies are read off and dropped, all of them together at most DISCARD_BYTES_PER_TICK every
// DISCARD_TICK_MS (25 MiB/s): a client still sending then reads its answer rather than a reset, and a
// flood of refused uploads cannot take the loop. Read at full speed, 40 concurrent 15 MiB uploads past the
// budget had the server read and drop 135 MiB within 2 s, and /healthz took 160-440 ms in the fault test.
const DISCARD_BYTES_PER_TICK = 256 * 1024;
const DISCARD_TICK_MS = 10;
/** sockets resumed per tick: each reads at least one 64 KiB chunk before it can be paused again */
const DISCARD_RESUMES_PER_TICK = 4;
let discardedThisTick = 0;
const discardQueue = new Set<Readable>();
let discardTimer: NodeJS.Timeout | undefined;

function startDiscardTimer(): void {
  if (discardTimer !== undefined) return;
  discardTimer = setInterval(() => {
    discardedThisTick = 0;
    let n = 0;
    for (const r of discardQueue) {
      if (n++ >= DISCARD_RESUMES_PER_TICK) break;
      discardQueue.delete(r);
      r.resume();
    }
    if (discardQueue.size === 0) {
      clearInterval(discardTimer);
      discardTimer = undefined;
    }
  }, DISCARD_TICK_MS);
  discardTimer.unref();
}

/** Reads the rest of a refused body and drops it, paced with every other refused body. */
function discardPaced(req: Request): void {
  if (req.complete) return;
  const wait = () => {
    req.pause();
    discardQueue.delete(req); // to the back of the queue
    discardQueue.add(req);
    startDiscardTimer();
  };
  const onData = (chunk: Buffer) => {
    discardedThisTick += chunk.length;
    if (discardedThisTick >= DISCARD_BYTES_PER_TICK) wait();
  };
  const done = () => {
    req.off('data', onData);
    discardQueue.delete(req);
  };
  req.on('data', onData);
  req.once('end', done);
  req.once('close', done);
  if (discardedThisTick < DISCARD_BYTES_PER_TICK) req.resume();
  else wait();
}

/** A body refused with its status; `retryAfterS` for 503. */
export class BodyError extends Error {
  constructor(readonly status: number, message: string, readonly retryAfterS?: number) {
    super(message);
  }
}

export interface ReadBodyOptions {
  /** one body's limit (413 beyond), after decompression */
  maxBytes: number;
  budget: BodyBudget;
  timeoutMs: number;
}

const DECODERS: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** Whether node closes this connection once the answer is out (HTTP/1.0 without keep-alive, or `Connection: close`). */
function closesAfter(req: Request): boolean {
  const connection = String(req.headers.connection ?? '').toLowerCase();
  if (req.httpVersion === '1.0') return !connection.includes('keep-alive');
  return connection.split(',').some((t) => t.trim() === 'close');
}

/**
 * Reads a request body into one Buffer under the per-body limit and the process-wide budget.
 * A declared Content-Length is checked (413) and reserved (503 if it does not fit) before a byte is read;
 * bodies without one (chunked) or compressed are charged as their bytes arrive. The share is held until
 * the response is done, since the parsed body lives as long as the handler. A body not complete within
 * `timeoutMs` is refused (408) and its share given back at once.
 *
 * After a refusal the rest of the body is read and dropped at a paced rate (discardPaced), so the
 * client reads the answer instead of a reset; one that does not finish sending within `timeoutMs` more
 * has its connection closed.
 */
export function readBody(req: Request, res: Response, opts: ReadBodyOptions): Promise<Buffer> {
  const { budget, maxBytes } = opts;
  return new Promise<Buffer>((resolve, reject) => {
    let held = 0;
    let given = false;
    const giveBack = () => {
      if (given) return;
      given = true;
      budget.give(held);
      held = 0;
    };
    res.once('close', giveBack);
    /**
     * Refuses the body: what came is dropped, the rest is read and dropped, a sender that does not finish
     * within the timeout is cut off. The answer goes out at once on a keep-alive connection (node reads
     * off the rest after it). A client that sent `Connection: close` gets it once its body is in: node
     * closes such a connection as soon as the answer is out, and a client still sending then hits EPIPE
     * before it reads the answer (seen with node's http client on 17 MiB bodies).
     */
    const refuse = (err: BodyError) => {
      giveBack();
      discardPaced(req);
      if (req.complete) return reject(err);
      const cut = setTimeout(() => req.socket.destroy(), err.status === 408 ? 0 : opts.timeoutMs);
      cut.unref();
      req.once('end', () => clearTimeout(cut));
      if (err.status === 408 || !closesAfter(req)) return reject(err);
      req.once('end', () => reject(err));
    };

    const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && DECODERS[encoding] === undefined) {
      return refuse(new BodyError(415, `Content-Encoding: ${JSON.stringify(encoding.slice(0, 40))} is not supported (identity, gzip, deflate, br)`));
    }
    const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
    if (encoding === 'identity' && declared !== null && Number.isFinite(declared)) {
      if (declared > maxBytes) return refuse(new BodyError(413, `body: larger than the limit of ${maxBytes} bytes`));
      if (!budget.tryTake(declared)) return refuse(new BodyError(503, `body: the server is holding its limit of ${budget.limit} bytes of request bodies; retry shortly`, 1));
      held = declared;
    }

    const source: Readable = encoding === 'identity' ? req : (req.pipe(DECODERS[encoding]()) as unknown as Readable);
    // A declared identity body is written into one buffer of its size: no second copy to concatenate.
    const whole = encoding === 'identity' && declared !== null && declared > 0 ? Buffer.allocUnsafe(declared) : null;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;

    const cleanup = () => {
      settled = true;
      clearTimeout(timer);
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      req.off('close', onClose);
    };
    const fail = (err: BodyError) => {
      if (settled) return;
      cleanup();
      chunks.length = 0;
      if (source !== req) {
        req.unpipe();
        (source as unknown as { destroy(): void }).destroy();
      }
      refuse(err);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) return fail(new BodyError(413, `body: larger than the limit of ${maxBytes} bytes`));
      if (received > held) {
        const more = received - held;
        if (!budget.tryTake(more)) return fail(new BodyError(503, `body: the server is holding its limit of ${budget.limit} bytes of request bodies; retry shortly`, 1));
        held += more;
      }
      if (whole !== null) chunk.copy(whole, received - chunk.length);
      else chunks.push(chunk);
    };
    const onEnd = () => {
      if (settled) return;
      cleanup();
      if (whole !== null) {
        if (received !== whole.length) return refuse(new BodyError(400, 'body: shorter than its Content-Length'));
        return resolve(whole);
      }
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    };
    const onError = (err: Error) => fail(new BodyError(400, `body: ${err.message}`));
    const onClose = () => {
      if (!req.complete) fail(new BodyError(400, 'body: the request was aborted'));
    };
    const timer = setTimeout(() => fail(new BodyError(408, `body: not received in full within ${Math.round(opts.timeoutMs / 1000)} s`)), opts.timeoutMs);
    timer.unref();
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    req.on('close', onClose);
  });
}

// When the socket's next `update` goes out (issue 15). A commit that changed the live view asks for one:
// it goes at once (the next turn of the loop, so that every push of one group commit is in it) when none
// went in the last `minGapMs`, else at lastSent + minGapMs, and asks in between ride on that one. So a
// reading reaches the wall without waiting for the 1 s tick, and a burst of pushes costs at most one
// update per window. Pure: the clock and the timer come in, so it is tested with a fake of both.

/** A timer: runs `fn` after `ms` (0: the next turn of the loop); returns how to cancel it. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

export interface Coalescer {
  /** something changed: an update goes at the next turn, or at the window's end when one went recently */
  request(): void;
  /**
   * the same, but sent within this call when the window allows (the tick: its figures go out ahead of its
   * alert pass); otherwise as request()
   */
  requestNow(): void;
  /** drops a pending send (the server closing) */
  cancel(): void;
  /** when the last update had gone out (its send returned), on the coalescer's clock; -Infinity before the first */
  lastSent(): number;
  pending(): boolean;
}

export interface CoalescerOptions {
  /** at most one send per this many ms */
  minGapMs: number;
  /** sends the update; an exception is the caller's (the server runs it under the background guard) */
  send: () => void;
  /** a clock that never goes back (performance.now in the server) */
  now: () => number;
  /**
   * At most this share of the clock spent sending: after a send that took d ms the window is at least
   * d × (1 − share) / share. Absent: minGapMs alone.
   */
  maxShare?: number;
  setTimer: SetTimer;
}

export function createCoalescer(opts: CoalescerOptions): Coalescer {
  const { minGapMs, send, now, setTimer, maxShare } = opts;
  let last = -Infinity;
  let gap = minGapMs;
  let cancelTimer: (() => void) | null = null;

  /** ms left in the window; a clock that went back restarts the window from now rather than stalling */
  const left = (): number => {
    const t = now();
    if (t < last) last = t;
    return last + gap - t;
  };

  /**
   * The window counts from when the update has gone out, not from when its pass began: a send computes
   * figures and hands them to every socket, and a send that took longer than the next one would otherwise
   * leave less than minGapMs between the two emits. Set when the send throws too, so a failing one is not
   * retried at once.
   */
  const sendNow = (): void => {
    const t0 = now();
    try {
      send();
    } finally {
      last = now();
      if (maxShare !== undefined) gap = Math.max(minGapMs, ((last - t0) * (1 - maxShare)) / maxShare);
    }
  };

  const fire = (): void => {
    cancelTimer = null;
    // A timer may run a little early on some clocks: the window is the rule, not the timer.
    const wait = left();
    if (wait > 0) {
      cancelTimer = setTimer(fire, wait);
      return;
    }
    sendNow();
  };

  const request = (): void => {
    if (cancelTimer !== null) return;
    cancelTimer = setTimer(fire, Math.max(0, left()));
  };

  return {
    request,
    requestNow() {
      if (left() > 0) return request();
      cancelTimer?.();
      cancelTimer = null;
      sendNow();
    },
    cancel() {
      cancelTimer?.();
      cancelTimer = null;
    },
    lastSent: () => last,
    pending: () => cancelTimer !== null,
  };
}

/** The server's timer: setImmediate for 0 (the same turn's other commits settle first), else setTimeout; neither keeps the process up. */
export const loopTimer: SetTimer = (fn, ms) => {
  if (ms <= 0) {
    const h = setImmediate(fn);
    h.unref();
    return () => clearImmediate(h);
  }
  const h = setTimeout(fn, Math.ceil(ms));
  h.unref();
  return () => clearTimeout(h);
};

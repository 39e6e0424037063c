import type { Socket } from 'socket.io-client';

/** The next `event` on the socket whose payload satisfies `pred`; rejects after `timeoutMs`. */
export function next<T>(socket: Socket, event: string, pred: (v: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching ${event} within ${timeoutMs} ms`)), timeoutMs);
    const on = (v: T) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(v);
    };
    socket.on(event, on);
  });
}

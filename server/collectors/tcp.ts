// What the TCP miner protocols (cgminer, Whatsminer API v3) share: one request per fresh connection,
// settled exactly once, the socket errors' short reasons, and the host:port endpoint they are polled at.

import net from 'node:net';
import { checkAddress } from '../core/schema.js';
import { CollectorError, type Endpoint } from './types.js';

/** The short reason a device poll failed on its socket, as the API and /metrics show it. */
export function socketFailure(err: NodeJS.ErrnoException): CollectorError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new CollectorError('refused');
    case 'ECONNRESET':
    case 'EPIPE':
      return new CollectorError('closed mid-reply');
    case 'ETIMEDOUT':
      return new CollectorError('timeout');
    default:
      return new CollectorError(`unreachable: ${err.code ?? err.message}`);
  }
}

/** Settles the request: the first call wins, the socket is destroyed and the timer cleared. */
export type Finish<T> = (err: CollectorError | null, value?: T) => void;

/**
 * One request on a fresh connection. `talk` writes on 'connect' and reads the reply ('data', 'end'),
 * calling `finish` when it has one. Whatever comes first of that, the timeout ('timeout'), a socket error
 * (socketFailure) or a close ('closed mid-reply') settles the promise; the rest are ignored.
 */
export function tcpRequest<T>(
  host: string, port: number, timeout_ms: number, talk: (socket: net.Socket, finish: Finish<T>) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = net.connect({ host, port });
    const finish: Finish<T> = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value as T);
    };
    const timer = setTimeout(() => finish(new CollectorError('timeout')), timeout_ms);
    socket.setNoDelay(true);
    talk(socket, finish);
    socket.on('error', (err: NodeJS.ErrnoException) => finish(socketFailure(err)));
    socket.on('close', () => finish(new CollectorError('closed mid-reply')));
  });
}

/** A miner's API at host:port, on the asic entries of the config. */
export const HOST_PORT_ENDPOINT: Endpoint = {
  key: 'address',
  kinds: ['asic'],
  check: checkAddress,
  hint: { gpu_node: 'a gpu_node is polled through exporter' },
};

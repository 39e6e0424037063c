import { CollectorError } from './types.js';

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

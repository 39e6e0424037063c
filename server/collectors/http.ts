import { CollectorError } from './types.js';

/**
 * GET a device's HTTP endpoint (an exporter page, a Redfish resource) as text, within a timeout and a
 * size cap: a device, or anything else at its address, that sends endlessly must not fill memory.
 * Failures are CollectorErrors with the reasons the API shows.
 */
export async function httpGetText(
  url: URL | string, timeout_ms: number, max_bytes: number, headers: Record<string, string> = {},
): Promise<string> {
  return httpText(url, { headers }, timeout_ms, max_bytes);
}

/** What a request sends besides its URL: a device API that is logged into (Braiins OS) also POSTs. */
export interface HttpSend {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/** httpGetText for any method: the same timeout, size cap and reasons; a non-2xx status is `bad reply: HTTP N`. */
export async function httpText(url: URL | string, send: HttpSend, timeout_ms: number, max_bytes: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { ...send, signal: AbortSignal.timeout(timeout_ms) });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new CollectorError('timeout');
    if (e.cause?.code === 'ECONNREFUSED') throw new CollectorError('refused');
    throw new CollectorError(`unreachable: ${e.cause?.code ?? e.name ?? 'error'}`);
  }
  if (!res.ok) {
    void res.body?.cancel().catch(() => {});
    throw new CollectorError(`bad reply: HTTP ${res.status}`);
  }
  const reader = res.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > max_bytes) {
        void reader.cancel().catch(() => {});
        throw new CollectorError('bad reply: too large');
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    const e = err as { name?: string };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new CollectorError('timeout');
    throw new CollectorError('closed mid-reply');
  }
  return Buffer.concat(chunks).toString('utf8');
}

// TCP connect probes (issue 19): how long a TCP handshake to a host:port takes and how many fail, for the
// endpoints a site depends on (each expected pool's stratum server, an AI customer's gateway). A probe is a
// device of kind `probe` (config `probes:`, and one per expected pool from `pools:`), polled on the same
// scheduler as the miners; its reading goes to the same sink as theirs. A failed connect is data (loss),
// not a failed poll: the poll only fails when it could not run at all.

import net from 'node:net';
import type { DeviceModel, Reading } from '../core/types.js';
import { CONFIG_KINDS, checkAddress } from '../core/schema.js';
import { splitAddress } from './cgminer.js';
import { onePerDevice, type CollectorPlugin, type Endpoint } from './types.js';

/** Connects per poll, one after another; loss is the share of them that did not complete. */
export const PROBE_CONNECTS = 5;

export type ConnectResult = { ok: true; ms: number } | { ok: false; reason: 'refused' | 'timeout' | string };

/** One TCP connect, closed at once; never rejects. `timeout_ms` bounds it whatever the network does. */
export function tcpConnect(host: string, port: number, timeout_ms: number): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const socket = net.connect({ host, port });
    let done = false;
    const finish = (r: ConnectResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), timeout_ms);
    socket.on('connect', () => finish({ ok: true, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, reason: err.code === 'ECONNREFUSED' ? 'refused' : (err.code ?? err.message) }));
  });
}

/**
 * The figures of one poll's connects: latency_ms the mean handshake time of those that completed (null when
 * none did: no latency to speak of, never 0), loss_pct the share that did not.
 */
export function probeFigures(results: readonly ConnectResult[]): { latency_ms: number | null; loss_pct: number | null } {
  if (results.length === 0) return { latency_ms: null, loss_pct: null };
  const ok = results.filter((r): r is { ok: true; ms: number } => r.ok);
  const latency = ok.length ? ok.reduce((s, r) => s + r.ms, 0) / ok.length : null;
  return {
    latency_ms: latency === null ? null : Math.round(latency * 100) / 100,
    loss_pct: Math.round(((results.length - ok.length) / results.length) * 10_000) / 100,
  };
}

/**
 * One poll: PROBE_CONNECTS connects in turn, each bounded by an equal share of the poll's timeout, so a
 * target that never answers a SYN costs one timeout per poll, not one per connect.
 */
export async function pollProbe(device: DeviceModel, timeout_ms: number, now: () => number): Promise<Reading> {
  const { host, port } = splitAddress(device.probe ?? '', 0);
  const each = Math.max(1, Math.floor(timeout_ms / PROBE_CONNECTS));
  const results: ConnectResult[] = [];
  for (let i = 0; i < PROBE_CONNECTS; i++) results.push(await tcpConnect(host, port, each));
  return { device: device.id, ts: now(), metrics: probeFigures(results) };
}

/** host:port of a `probe` device; set by the `probes:` and `pools:` readers, never by a rack device entry. */
export const PROBE_ENDPOINT: Endpoint = {
  key: 'probe',
  kinds: [],
  check: checkAddress,
  hint: Object.fromEntries(CONFIG_KINDS.map((k) => [k, 'probes are listed under probes:'])),
};

export const probeCollector: CollectorPlugin = {
  // 30 s: a loss figure of 5 connects per interval; 5 s bounds the five (1 s each, far above a WAN RTT).
  defaults: { interval_s: 30, timeout_ms: 5000, concurrency: 32 },
  endpoint: PROBE_ENDPOINT,
  targets: onePerDevice('probe', (d, ctx, timeout_ms) => pollProbe(d, timeout_ms, ctx.now)),
};

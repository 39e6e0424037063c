// The `remote_write:` section of the config: the long-term stores every committed reading and each tick's
// figures are written to (server/remote/). Close to Prometheus' own remote_write block so that settings
// carry over: the same keys and defaults, with the unit in the name where Prometheus takes a duration
// (remote_timeout: 30s is timeout_s: 30; batch_send_deadline: 5s is batch_send_deadline_s: 5), and
// write_relabel as two include lists instead of relabel rules.

import {
  asObject, at, checkKeys, displayUrl, err, field, isObj, keySet, readHttpAuth, readList, readPosInt, readPositive, readString, readUrl, type Ctx,
} from '../core/schema.js';
import { DEVICE_KINDS, type DeviceKind } from '../core/vocabulary.js';
import type { RemoteWriteTarget } from '../core/types.js';
import { knownSeriesNames } from './series.js';

/** Prometheus' remote_write defaults (config/config.go DefaultRemoteWriteConfig, DefaultQueueConfig). */
export const REMOTE_DEFAULTS = {
  timeout_s: 30,
  queue: { capacity: 10_000, max_shards: 50, max_samples_per_send: 2000, batch_send_deadline_s: 5, min_backoff_s: 0.03, max_backoff_s: 5 },
} as const;

const TARGET_KEYS = keySet('name', 'url', 'bearer_token', 'basic_auth', 'headers', 'timeout_s', 'queue', 'write_relabel');
const QUEUE_KEYS = keySet(...Object.keys(REMOTE_DEFAULTS.queue));
const RELABEL_KEYS = keySet('include_kinds', 'include_metrics');
/** Set by remote write itself; Prometheus refuses these in `headers` too (config.reservedHeaders). */
const RESERVED_HEADERS = new Set(['authorization', 'host', 'content-encoding', 'content-length', 'content-type', 'user-agent', 'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'www-authenticate', 'accept-encoding', 'x-prometheus-remote-write-version', 'x-prometheus-remote-read-version']);
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function readHeaders(c: Ctx, v: unknown, p: string): Record<string, string> {
  const o = asObject(c, v, p);
  const out: Record<string, string> = {};
  if (o === undefined) return out;
  for (const [k, val] of Object.entries(o)) {
    const hp = at(p, k);
    if (!HEADER_NAME_RE.test(k)) err(c, hp, 'not a valid header name');
    else if (RESERVED_HEADERS.has(k.toLowerCase())) err(c, hp, 'set by remote write itself (use bearer_token or basic_auth for Authorization)');
    else if (typeof val !== 'string' || /[\r\n]/.test(val)) err(c, hp, 'expected a string on one line');
    else out[k] = val;
  }
  return out;
}

function readStrings<T extends string>(c: Ctx, o: Record<string, unknown>, key: string, p: string, known: ReadonlySet<string>, what: string): T[] | undefined {
  const list = field(c, o, key, p, readList, false, '');
  if (list === undefined) return undefined;
  const out: T[] = [];
  list.forEach((x, i) => {
    const ip = `${at(p, key)}[${i}]`;
    if (typeof x !== 'string') err(c, ip, 'expected a string');
    else if (!known.has(x)) err(c, ip, `unknown ${what} "${x}"`);
    else out.push(x as T);
  });
  return out;
}

function readTarget(c: Ctx, v: unknown, p: string, seriesNames: ReadonlySet<string>): RemoteWriteTarget | undefined {
  const o = asObject(c, v, p);
  if (o === undefined) return undefined;
  checkKeys(c, o, p, TARGET_KEYS);
  const url = field(c, o, 'url', p, readUrl, true, 'expected an http(s) URL (the store\'s write endpoint, e.g. http://vm:8428/api/v1/write)');
  const name = field(c, o, 'name', p, readString, false, '');
  const auth = readHttpAuth(c, o, p);
  const headers = o['headers'] === undefined || o['headers'] === null ? {} : readHeaders(c, o['headers'], at(p, 'headers'));
  const timeout = field(c, o, 'timeout_s', p, readPositive, false, '');

  const d = REMOTE_DEFAULTS.queue;
  const queue: RemoteWriteTarget['queue'] = { ...d };
  const qv = o['queue'];
  if (qv !== undefined && qv !== null) {
    const qp = at(p, 'queue');
    const qo = asObject(c, qv, qp);
    if (qo !== undefined) {
      checkKeys(c, qo, qp, QUEUE_KEYS);
      queue.capacity = field(c, qo, 'capacity', qp, readPosInt, false, '') ?? d.capacity;
      queue.max_shards = field(c, qo, 'max_shards', qp, readPosInt, false, '') ?? d.max_shards;
      queue.max_samples_per_send = field(c, qo, 'max_samples_per_send', qp, readPosInt, false, '') ?? d.max_samples_per_send;
      queue.batch_send_deadline_s = field(c, qo, 'batch_send_deadline_s', qp, readPositive, false, '') ?? d.batch_send_deadline_s;
      queue.min_backoff_s = field(c, qo, 'min_backoff_s', qp, readPositive, false, '') ?? d.min_backoff_s;
      queue.max_backoff_s = field(c, qo, 'max_backoff_s', qp, readPositive, false, '') ?? d.max_backoff_s;
      if (queue.max_backoff_s < queue.min_backoff_s) err(c, at(qp, 'max_backoff_s'), `must be at least min_backoff_s (${queue.min_backoff_s})`);
      // Prometheus warns about this; here it would be a batch that can never fill before a drop.
      if (queue.max_samples_per_send > queue.capacity) err(c, at(qp, 'max_samples_per_send'), `must not exceed capacity (${queue.capacity})`);
    }
  }

  let include_kinds: DeviceKind[] | undefined;
  let include_metrics: string[] | undefined;
  const rv = o['write_relabel'];
  if (rv !== undefined && rv !== null) {
    const rp = at(p, 'write_relabel');
    if (!isObj(rv)) err(c, rp, 'expected an object');
    else {
      checkKeys(c, rv, rp, RELABEL_KEYS);
      include_kinds = readStrings<DeviceKind>(c, rv, 'include_kinds', rp, new Set(DEVICE_KINDS), 'device kind');
      include_metrics = readStrings(c, rv, 'include_metrics', rp, seriesNames, 'series name');
    }
  }
  if (url === undefined) return undefined;
  return {
    name: name ?? displayUrl(url), url, headers, timeout_s: timeout ?? REMOTE_DEFAULTS.timeout_s, queue,
    ...auth,
    ...(include_kinds !== undefined ? { include_kinds } : {}), ...(include_metrics !== undefined ? { include_metrics } : {}),
  };
}

/** [] when the section is absent: nothing is written out (the demo needs no store). */
export function readRemoteWrite(c: Ctx, v: unknown): RemoteWriteTarget[] {
  if (v === undefined || v === null) return [];
  const list = readList(c, v, 'remote_write');
  if (list === undefined) return [];
  const seriesNames = knownSeriesNames();
  const out: RemoteWriteTarget[] = [];
  const seen = new Map<string, string>();
  list.forEach((x, i) => {
    const p = `remote_write[${i}]`;
    const t = readTarget(c, x, p, seriesNames);
    if (t === undefined) return;
    const first = seen.get(t.name);
    if (first !== undefined) err(c, at(p, isObj(x) && x['name'] !== undefined ? 'name' : 'url'), `duplicate remote "${t.name}", first at ${first}`);
    else {
      seen.set(t.name, p);
      out.push(t);
    }
  });
  return out;
}

// `floorwatch agent nvidia-smi`: runs on a GPU node, reads nvidia-smi every interval and pushes the GPUs'
// readings to /api/v1/ingest. A failed push (server down, 5xx, 429) keeps the readings in a bounded
// buffer and sends them first, in order, next time; a 4xx other than 429 means the server will never take
// that batch (bad token, bad shape), so it is logged with the server's message and dropped.

import { execFile } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Reading } from '../core/types.js';
import { AGENT_QUERY_FIELDS, parseNvidiaSmiCsv, smiRowToGpu, type SmiGpu } from './smi-csv.js';
import { parseNvidiaSmiDmon } from './smi-dmon.js';
import { parseNvidiaSmiXml } from './smi-xml.js';

export const NVIDIA_SMI_ARGS = [`--query-gpu=${AGENT_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
/**
 * Drivers before the clocks_event_reasons rename (about R535) know the same fields as
 * clocks_throttle_reasons.*, and nvidia-smi refuses a whole query that names one field it does not
 * know. Same columns in the same order, so the output parses with AGENT_QUERY_FIELDS either way.
 */
export const NVIDIA_SMI_LEGACY_ARGS = [
  `--query-gpu=${AGENT_QUERY_FIELDS.map((f) => f.replace('clocks_event_reasons.', 'clocks_throttle_reasons.')).join(',')}`,
  '--format=csv,noheader,nounits',
];
/** `-q -x`: the whole state document; larger than the CSV query, but every driver since ~R300 prints it. */
export const NVIDIA_SMI_XML_ARGS = ['-q', '-x'];
/**
 * One dmon sample (`-c 1`) per tick: power/temperature, utilization, clocks and framebuffer use. dmon is
 * what remains on hosts where a query field or the XML schema breaks; it reports no limits or throttling.
 */
export const NVIDIA_SMI_DMON_ARGS = ['dmon', '-c', '1', '-s', 'pucm'];

export const SMI_SOURCES = ['csv', 'xml', 'dmon'] as const;
export type SmiSource = (typeof SMI_SOURCES)[number];

/** Readings per POST: well under the ingest size limit even for a node with 16 GPUs and a long backlog. */
const MAX_PER_POST = 500;
const POST_TIMEOUT_MS = 10_000;

export interface NvidiaSmiAgentOptions {
  url: string;
  token: string;
  interval_s?: number;
  /** node id: devices are `<node>/gpu<index>`; default os.hostname() */
  node?: string;
  /** which nvidia-smi output to read and parse; default csv (--query-gpu) */
  source?: SmiSource;
  /** returns nvidia-smi's stdout for the source's arguments (NVIDIA_SMI_ARGS, _XML_ARGS, _DMON_ARGS); default runs nvidia-smi */
  exec?: () => Promise<string>;
  /** readings kept while the server cannot be reached; the oldest go first */
  max_buffer?: number;
  log?: (line: string) => void;
  fetch?: typeof fetch;
  /** test hook: epoch ms */
  now?: () => number;
}

export interface NvidiaSmiAgent {
  stop(): Promise<void>;
  /** readings waiting to be sent */
  pending(): number;
}

function execNvidiaSmi(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('nvidia-smi', args, { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`nvidia-smi: ${(stderr || stdout || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

let legacyFields = false;

/** nvidia-smi with the current field names, falling back once (and for good) to the pre-R535 names. */
export async function runNvidiaSmi(exec: (args: string[]) => Promise<string> = execNvidiaSmi): Promise<string> {
  if (legacyFields) return exec(NVIDIA_SMI_LEGACY_ARGS);
  try {
    return await exec(NVIDIA_SMI_ARGS);
  } catch (e) {
    if (!/not a valid field/i.test((e as Error).message)) throw e;
    legacyFields = true;
    return exec(NVIDIA_SMI_LEGACY_ARGS);
  }
}

function parseSource(stdout: string, source: SmiSource): SmiGpu[] {
  switch (source) {
    case 'csv': return parseNvidiaSmiCsv(stdout, AGENT_QUERY_FIELDS).map(smiRowToGpu);
    case 'xml': return parseNvidiaSmiXml(stdout);
    case 'dmon': return parseNvidiaSmiDmon(stdout);
  }
}

/**
 * nvidia-smi output of the given source (csv: noheader,nounits for AGENT_QUERY_FIELDS) → one gpu reading
 * per GPU, all stamped ts. GPUs without an index are skipped.
 */
export function smiReadings(stdout: string, node: string, ts: number, source: SmiSource = 'csv'): Reading[] {
  const out: Reading[] = [];
  for (const g of parseSource(stdout, source)) {
    if (g.index === null) continue;
    out.push({ device: `${node}/gpu${g.index}`, ts, metrics: g.metrics });
  }
  return out;
}

function defaultExec(source: SmiSource): () => Promise<string> {
  switch (source) {
    case 'csv': return () => runNvidiaSmi();
    case 'xml': return () => execNvidiaSmi(NVIDIA_SMI_XML_ARGS);
    case 'dmon': return () => execNvidiaSmi(NVIDIA_SMI_DMON_ARGS);
  }
}

type PostResult = { kind: 'sent'; rejected: number; firstError?: string } | { kind: 'retry'; why: string } | { kind: 'drop'; why: string };

export function runNvidiaSmiAgent(opts: NvidiaSmiAgentOptions): NvidiaSmiAgent {
  const interval_ms = (opts.interval_s ?? 5) * 1000;
  const node = opts.node ?? os.hostname();
  const source = opts.source ?? 'csv';
  const exec = opts.exec ?? defaultExec(source);
  const maxBuffer = Math.max(1, opts.max_buffer ?? 10_000);
  const log = opts.log ?? ((line: string) => console.error(line));
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const buffer: Reading[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const post = async (batch: Reading[]): Promise<PostResult> => {
    let res: Response;
    try {
      res = await doFetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
        body: JSON.stringify({ readings: batch }),
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
    } catch (err) {
      // undici hides the socket error in `cause` (ECONNREFUSED, or a message like "bad port").
      const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
      return { kind: 'retry', why: e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.cause?.message ?? e.message ?? 'network error') };
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      try {
        const body = JSON.parse(text) as { rejected?: { index: number; error: string }[] };
        const rejected = body.rejected ?? [];
        return { kind: 'sent', rejected: rejected.length, firstError: rejected[0]?.error };
      } catch {
        return { kind: 'sent', rejected: 0 };
      }
    }
    const why = `HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
    return res.status >= 500 || res.status === 429 ? { kind: 'retry', why } : { kind: 'drop', why };
  };

  const flush = async (): Promise<void> => {
    while (buffer.length && !stopped) {
      const batch = buffer.slice(0, MAX_PER_POST);
      const r = await post(batch);
      if (r.kind === 'retry') {
        log(`agent: push failed (${r.why}); keeping ${buffer.length} readings to send next time`);
        return;
      }
      buffer.splice(0, batch.length);
      if (r.kind === 'drop') log(`agent: server refused ${batch.length} readings (${r.why}); dropped, retrying cannot help`);
      else if (r.rejected) log(`agent: server rejected ${r.rejected} of ${batch.length} readings (first: ${r.firstError ?? '?'})`);
    }
  };

  const tick = async (): Promise<void> => {
    try {
      const readings = smiReadings(await exec(), node, now(), source);
      if (!readings.length) log('agent: nvidia-smi listed no GPUs');
      buffer.push(...readings);
    } catch (err) {
      log(`agent: ${(err as Error).message}`);
    }
    if (buffer.length > maxBuffer) {
      const n = buffer.length - maxBuffer;
      buffer.splice(0, n);
      log(`agent: buffer full (${maxBuffer}): dropped the ${n} oldest readings`);
    }
    await flush();
  };

  const loop = (): void => {
    if (stopped) return;
    const started = now();
    current = tick().finally(() => {
      if (stopped) return;
      timer = setTimeout(loop, Math.max(0, started + interval_ms - now()));
    });
  };
  loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
    pending: () => buffer.length,
  };
}

export const AGENT_USAGE = 'floorwatch agent nvidia-smi --url URL --token T [--interval 5] [--node ID] [--source csv|xml|dmon]';

function isSmiSource(s: string): s is SmiSource {
  return (SMI_SOURCES as readonly string[]).includes(s);
}

/** `floorwatch agent nvidia-smi …`: runs until SIGINT/SIGTERM. A bare server URL gets /api/v1/ingest. */
export async function runAgentCommand(argv: string[], log: (line: string) => void = (l) => console.error(l)): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { url: { type: 'string' }, token: { type: 'string' }, interval: { type: 'string' }, node: { type: 'string' }, source: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'nvidia-smi')) {
    throw new Error(`unknown agent ${JSON.stringify(positionals.join(' '))}; usage: ${AGENT_USAGE}`);
  }
  if (!values.url) throw new Error(`--url is required; usage: ${AGENT_USAGE}`);
  const token = values.token ?? process.env.FLOORWATCH_INGEST_TOKEN;
  if (!token) throw new Error(`--token is required (or FLOORWATCH_INGEST_TOKEN); usage: ${AGENT_USAGE}`);
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new Error(`--url: not a URL: ${JSON.stringify(values.url)}`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/v1/ingest';
  const interval_s = values.interval === undefined ? 5 : Number(values.interval);
  if (!Number.isFinite(interval_s) || interval_s < 1 || interval_s > 3600) throw new Error('--interval: expected seconds, 1..3600');
  const source = values.source ?? 'csv';
  if (!isSmiSource(source)) throw new Error(`--source: expected one of ${SMI_SOURCES.join(', ')}, got ${JSON.stringify(source)}`);
  const node = values.node ?? os.hostname();
  log(`agent: nvidia-smi (${source}) every ${interval_s} s as ${node}/gpuN → ${url.href}`);
  const agent = runNvidiaSmiAgent({ url: url.href, token, interval_s, node, source, log });
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      log(`agent: ${signal}: stopping (${agent.pending()} readings unsent)`);
      void agent.stop().then(resolve);
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

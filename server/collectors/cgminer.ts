// cgminer-family API client (TCP 4028): one JSON command per connection, the reply read to EOF.
// Firmware replies are often not valid JSON; repairCgminerJson fixes the faults seen in the field before
// parsing, and every failure becomes a CollectorError whose reason is what the operator sees.

import { effectiveFigures } from '../core/catalogue.js';
import type { CatalogueModel, DeviceModel, Reading } from '../core/types.js';
import { detectFirmware, parseCgminerReplies, type CgminerReplies } from './cgminer-parse.js';
import { onePerMinerWithPools, parseCgminerPools, withPools, type PoolsFetched } from './pools-parse.js';
import { CollectorError, type CollectorPlugin, type JsonObject } from './types.js';
import { HOST_PORT_ENDPOINT, tcpRequest } from './tcp.js';

/** Replies larger than this are not a miner talking (Avalon estats with PVT arrays are ~30 kB). */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/**
 * Repairs the JSON faults cgminer forks are known to emit: a trailing NUL, `}{` with no comma between
 * array elements (bmminer stats), trailing commas, and bare inf/nan values. Returns text for JSON.parse.
 */
export function repairCgminerJson(raw: string): string {
  let s = raw.replace(/\0+$/u, '').trim();
  s = s.replace(/\}\s*\{/gu, '},{');
  s = s.replace(/,\s*([}\]])/gu, '$1');
  s = s.replace(/([:[,]\s*)[-+]?(?:inf(?:inity)?|nan)(?=\s*[,}\]])/giu, '$1null');
  return s;
}

/** Parses a raw reply, or throws CollectorError('bad reply: …'). */
export function parseCgminerJson(raw: string): JsonObject {
  const text = repairCgminerJson(raw);
  if (text === '') throw new CollectorError('bad reply: empty');
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CollectorError('bad reply: not an object');
    return v as JsonObject;
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    // A reply that opens more brackets than it closes was cut off: the miner closed the connection before
    // the end of its reply (firmware restarting, or a reset). Anything else is garbage.
    throw new CollectorError(unbalanced(text) ? 'closed mid-reply' : 'bad reply: not JSON');
  }
}

function unbalanced(text: string): boolean {
  if (!text.startsWith('{')) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return depth > 0 || inString;
}

/**
 * Sends one command on a fresh connection and returns the raw reply text. Rejects with CollectorError:
 * 'refused', 'timeout' (connect or reply), 'closed mid-reply' (reset after the reply began),
 * 'unreachable: CODE' for other socket errors.
 */
export function cgminerRaw(host: string, port: number, command: string, timeout_ms: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  return tcpRequest<string>(host, port, timeout_ms, (socket, finish) => {
    socket.on('connect', () => socket.write(command));
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_REPLY_BYTES) return finish(new CollectorError('bad reply: too large'));
      chunks.push(chunk);
    });
    socket.on('end', () => finish(null, Buffer.concat(chunks).toString('utf8')));
  });
}

/** One cgminer command, parsed. */
export async function cgminerCommand(host: string, port: number, command: string, timeout_ms: number): Promise<JsonObject> {
  return parseCgminerJson(await cgminerRaw(host, port, JSON.stringify({ command }), timeout_ms));
}

/** True when the firmware answered with an error status (e.g. 'Invalid command' to `summary+stats`). */
export function isErrorStatus(reply: JsonObject): boolean {
  const st = reply.STATUS;
  const first: unknown = Array.isArray(st) ? st[0] : st;
  if (first && typeof first === 'object') {
    const s = (first as JsonObject).STATUS;
    return s === 'E' || s === 'F';
  }
  return st === 'E';
}

/**
 * Fetches summary and stats: first as the joined `summary+stats` command, falling back to one command
 * per connection (sequential: the miner serves one connection at a time) when the firmware refuses it.
 */
export async function fetchCgminer(host: string, port: number, timeout_ms: number): Promise<CgminerReplies> {
  const deadline = Date.now() + timeout_ms;
  const left = (): number => {
    const ms = deadline - Date.now();
    if (ms <= 0) throw new CollectorError('timeout');
    return ms;
  };
  const joined = await cgminerCommand(host, port, 'summary+stats', left());
  if (!isErrorStatus(joined) && (Array.isArray(joined.summary) || Array.isArray(joined.stats))) {
    return { summary: firstOf(joined.summary), stats: firstOf(joined.stats) };
  }
  if (!isErrorStatus(joined) && (joined.SUMMARY !== undefined || joined.STATS !== undefined)) {
    return { summary: joined.SUMMARY ? joined : undefined, stats: joined.STATS ? joined : undefined };
  }
  const summary = await cgminerCommand(host, port, 'summary', left());
  let stats: JsonObject | undefined;
  // btminer has no `stats` (it answers Invalid command): a summary that names Whatsminer firmware saves
  // that request, so its sweep is summary+stats, summary, devs.
  if (!isErrorStatus(summary) && detectFirmware({ summary }) === 'whatsminer') return { summary };
  try {
    const s = await cgminerCommand(host, port, 'stats', left());
    if (!isErrorStatus(s)) stats = s;
  } catch (err) {
    // Some btminer builds answer `stats` with garbage or nothing; summary alone still carries telemetry.
    if (!(err instanceof CollectorError) || err.reason === 'timeout' || err.reason === 'refused') throw err;
  }
  if (isErrorStatus(summary) && !stats) throw new CollectorError('bad reply: error status');
  return { summary: isErrorStatus(summary) ? undefined : summary, stats };
}

function firstOf(v: unknown): JsonObject | undefined {
  if (Array.isArray(v) && v[0] && typeof v[0] === 'object') return v[0] as JsonObject;
  return undefined;
}

export function splitAddress(address: string, default_port = 4028): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/u.exec(address.trim());
  if (!m) throw new CollectorError(`bad address: ${address}`);
  return { host: m[1], port: m[2] ? Number(m[2]) : default_port };
}

/**
 * The extra commands a reply calls for: `devs` when no chains were read (btminer, Auradine: their boards
 * are DEVS entries), LuxOS `power` when no power was read, Auradine `fan` when no fan was read. Only what
 * is missing, so a sweep stays at one or two requests for the miners whose stats say it all.
 */
export function extraCommands(replies: CgminerReplies, reading: Reading): (keyof CgminerReplies)[] {
  const fw = detectFirmware(replies);
  const m = reading.metrics;
  const out: (keyof CgminerReplies)[] = [];
  if (m.chains_total == null && fw !== 'avalon' && fw !== 'antminer' && fw !== 'antminer-newapi') out.push('devs');
  if (reading.power_source !== 'device' && fw === 'luxos') out.push('power');
  if (m.fan_rpm == null && fw === 'auradine') out.push('fan');
  return out.slice(0, 2);
}

/**
 * Polls one cgminer-family miner and returns its reading in the vocabulary of docs/ARCHITECTURE.md §3.
 * With `pools` true the poll also asks `pools`, last, as a command of its own (issue 19): the captured
 * joined replies are all reconstructed, so no firmware is known to answer `summary+stats+pools`, and one
 * that refused the longer join would lose its reading to a detail. Its caller asks every third sweep.
 */
export async function pollCgminer(
  device: DeviceModel,
  catalogue: Map<string, CatalogueModel>,
  timeout_ms: number,
  now: () => number = Date.now,
  pools = false,
): Promise<Reading> {
  if (!device.address) throw new CollectorError('no address');
  const { host, port } = splitAddress(device.address);
  const deadline = Date.now() + timeout_ms;
  const replies = await fetchCgminer(host, port, timeout_ms);
  const figures = effectiveFigures(catalogue, device);
  const ctx = {
    device: device.id,
    nominal_ths: figures.nominal_ths ?? undefined,
    nominal_power_w: figures.nominal_power_w ?? undefined,
  };
  let reading = parseCgminerReplies(replies, { ...ctx, ts: now() });
  const extra = extraCommands(replies, reading);
  const ask = async (cmd: string): Promise<JsonObject | undefined> => {
    const ms = deadline - Date.now();
    if (ms <= 0) return undefined;
    try {
      const r = await cgminerCommand(host, port, cmd, ms);
      return isErrorStatus(r) ? undefined : r;
    } catch (err) {
      // A detail the first reply lacked: the miner answered, so it is not down because this one failed.
      if (!(err instanceof CollectorError)) throw err;
      return undefined;
    }
  };
  if (extra.length) {
    for (const cmd of extra) {
      const r = await ask(cmd);
      if (r !== undefined) replies[cmd] = r;
    }
    reading = parseCgminerReplies(replies, { ...ctx, ts: reading.ts });
  }
  const fetched: PoolsFetched = pools ? parseCgminerPools(await ask('pools')) : undefined;
  const list = withPools(reading.metrics, fetched);
  if (list !== undefined) reading.pools = list;
  return reading;
}

/** cgminer-family miners (Antminer, Avalon, LuxOS, Braiins, btminer's legacy API): one target per miner. */
export const cgminerCollector: CollectorPlugin = {
  // cgminer: thousands of cheap TCP requests per sweep, 15 s matches miners' own 15 s hashrate window.
  defaults: { interval_s: 15, timeout_ms: 3000, concurrency: 256 },
  endpoint: HOST_PORT_ENDPOINT,
  targets: onePerMinerWithPools((d, ctx, timeout_ms, pools) => pollCgminer(d, ctx.catalogue, timeout_ms, ctx.now, pools)),
};

// cgminer-family API client (TCP 4028): one JSON command per connection, the reply read to EOF.
// Firmware replies are often not valid JSON; repairCgminerJson fixes the faults seen in the field before
// parsing, and every failure becomes a CollectorError whose reason is what the operator sees.

import { effectiveFigures } from '../core/catalogue.js';
import type { CatalogueModel, DeviceModel, Reading } from '../core/types.js';
import { detectFirmware, parseCgminerReplies, type AsicFirmware, type CgminerReplies, type ParseContext } from './cgminer-parse.js';
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

/** summary and stats as the first sweep got them, and what that says about joined commands. */
export interface FirstReplies {
  replies: CgminerReplies;
  /** true: `summary+stats` was answered joined; false: both answered alone, so joins are refused; null: unknown */
  joins: boolean | null;
}

/**
 * Fetches summary and stats: first as the joined `summary+stats` command, falling back to one command
 * per connection (sequential: the miner serves one connection at a time) when the firmware refuses it.
 */
export async function fetchCgminer(host: string, port: number, timeout_ms: number): Promise<CgminerReplies> {
  return (await fetchFirst(host, port, timeout_ms)).replies;
}

export async function fetchFirst(host: string, port: number, timeout_ms: number): Promise<FirstReplies> {
  const deadline = Date.now() + timeout_ms;
  const left = (): number => {
    const ms = deadline - Date.now();
    if (ms <= 0) throw new CollectorError('timeout');
    return ms;
  };
  const joined = await cgminerCommand(host, port, 'summary+stats', left());
  if (!isErrorStatus(joined) && (Array.isArray(joined.summary) || Array.isArray(joined.stats))) {
    return { replies: { summary: firstOf(joined.summary), stats: firstOf(joined.stats) }, joins: true };
  }
  if (!isErrorStatus(joined) && (joined.SUMMARY !== undefined || joined.STATS !== undefined)) {
    // Some forks answer a joined request with the first command's reply alone: joins are not honoured.
    return { replies: { summary: joined.SUMMARY ? joined : undefined, stats: joined.STATS ? joined : undefined }, joins: false };
  }
  const summary = await cgminerCommand(host, port, 'summary', left());
  let stats: JsonObject | undefined;
  // btminer has no `stats` (it answers Invalid command): a summary that names Whatsminer firmware saves
  // that request, so its sweep is summary+stats, summary, devs. Whether it takes other joins is unknown.
  if (!isErrorStatus(summary) && detectFirmware({ summary }) === 'whatsminer') return { replies: { summary }, joins: null };
  try {
    const s = await cgminerCommand(host, port, 'stats', left());
    if (!isErrorStatus(s)) stats = s;
  } catch (err) {
    // Some btminer builds answer `stats` with garbage or nothing; summary alone still carries telemetry.
    if (!(err instanceof CollectorError) || err.reason === 'timeout' || err.reason === 'refused') throw err;
  }
  if (isErrorStatus(summary) && !stats) throw new CollectorError('bad reply: error status');
  // Both commands exist but their join was refused: this firmware takes no joins. One missing: the join
  // failed for that command, and a join of commands it has may still be honoured.
  const joins = !isErrorStatus(summary) && stats ? false : null;
  return { replies: { summary: isErrorStatus(summary) ? undefined : summary, stats }, joins };
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
 * The extra commands a reply calls for: `devs` when no chains were read (btminer, Auradine, BOSminer: their
 * boards are DEVS entries), LuxOS `power` when no power was read, Auradine `fan` when no fan was read,
 * BOSminer `temps` and `fans`. Only what is missing; later sweeps ask them joined with summary and stats
 * in one request (or, where joins are refused, within MAX_SWEEP_REQUESTS).
 */
export function extraCommands(replies: CgminerReplies, reading: Reading): (keyof CgminerReplies)[] {
  const fw = detectFirmware(replies);
  const m = reading.metrics;
  const out: (keyof CgminerReplies)[] = [];
  if (m.chains_total == null && fw !== 'avalon' && fw !== 'antminer' && fw !== 'antminer-newapi') out.push('devs');
  if (reading.power_source !== 'device' && fw === 'luxos') out.push('power');
  if (m.fan_rpm == null && fw === 'auradine') out.push('fan');
  // BOSminer's cgminer API keeps temperatures and fans out of summary and devs (Foreman's captures).
  if (fw === 'braiins' && m.chip_temp_c == null && m.board_temp_c == null) out.push('temps');
  if (fw === 'braiins' && m.fan_rpm == null) out.push('fans');
  return out;
}

type Command = keyof CgminerReplies;

/**
 * What a miner's first sweep taught its poll target, kept between sweeps so a sweep asks only what it
 * needs: the commands (summary and stats as they answered, plus the extra ones its firmware needs), and
 * whether it answers them joined with '+' in one request (cgminer API-README, "multiple report
 * commands"). Forgotten when a poll fails or the firmware changes: the miner may come back rebooted or
 * reflashed, and the next sweep learns again.
 */
export interface CgminerMemory {
  plan: Command[] | null;
  /** true: takes the plan joined; false: refuses joins; null: not tried yet */
  joins: boolean | null;
  firmware: AsicFirmware | null;
}

export function freshCgminerMemory(): CgminerMemory {
  return { plan: null, joins: null, firmware: null };
}

/**
 * Requests a sweep makes once the plan is learnt, for a miner that refuses joins (one that takes them
 * makes one). A plan longer than this (Auradine: summary, devs, fan) drops its last command there.
 */
export const MAX_SWEEP_REQUESTS = 2;

function forget(memory: CgminerMemory): void {
  Object.assign(memory, freshCgminerMemory());
}

/** Several commands in one request; null when the firmware refuses the join (or any part of it). */
async function askJoined(host: string, port: number, cmds: Command[], timeout_ms: number): Promise<CgminerReplies | null> {
  const r = await cgminerCommand(host, port, cmds.join('+'), timeout_ms);
  if (isErrorStatus(r)) return null;
  const out: CgminerReplies = {};
  for (const c of cmds) {
    const part = firstOf(r[c]);
    if (part && !isErrorStatus(part)) out[c] = part;
  }
  return out.summary || out.stats ? out : null;
}

/**
 * One sweep on a learnt plan: one joined request, or one request per command (at most
 * MAX_SWEEP_REQUESTS) on firmware that refuses joins. The first command's failure is the miner's; a later
 * one's is a detail missing (as with the extra commands of a first sweep). Null: a join it took before
 * is refused now, so the caller learns again.
 */
async function sweepPlanned(host: string, port: number, memory: CgminerMemory, plan: Command[], deadline: number): Promise<CgminerReplies | null> {
  const left = (): number => {
    const ms = deadline - Date.now();
    if (ms <= 0) throw new CollectorError('timeout');
    return ms;
  };
  if (plan.length > 1 && memory.joins !== false) {
    const r = await askJoined(host, port, plan, left());
    if (r) {
      memory.joins = true;
      return r;
    }
    if (memory.joins === true) return null;
    memory.joins = false;
  }
  const out: CgminerReplies = {};
  for (const [i, cmd] of plan.slice(0, MAX_SWEEP_REQUESTS).entries()) {
    if (i === 0) {
      const r = await cgminerCommand(host, port, cmd, left());
      if (isErrorStatus(r)) return null;
      out[cmd] = r;
      continue;
    }
    const ms = deadline - Date.now();
    if (ms <= 0) break;
    try {
      const r = await cgminerCommand(host, port, cmd, ms);
      if (!isErrorStatus(r)) out[cmd] = r;
    } catch (err) {
      if (!(err instanceof CollectorError)) throw err;
    }
  }
  return out;
}

/**
 * Polls one cgminer-family miner and returns its reading in the vocabulary of docs/ARCHITECTURE.md §3.
 * With a memory kept between calls (the collector keeps one per miner) the first sweep learns the plan and
 * later sweeps follow it: one request where the firmware takes joins, at most MAX_SWEEP_REQUESTS where it
 * does not. Without one, every call is a first sweep.
 * With `pools` true the poll also asks `pools`, last, as a command of its own (issue 19): the captured
 * joined replies are all reconstructed, so no firmware is known to answer `summary+stats+pools`, and one
 * that refused the longer join would lose its reading to a detail. Its caller asks every third sweep.
 */
export async function pollCgminer(
  device: DeviceModel,
  catalogue: Map<string, CatalogueModel>,
  timeout_ms: number,
  now: () => number = Date.now,
  memory: CgminerMemory = freshCgminerMemory(),
  pools = false,
): Promise<Reading> {
  if (!device.address) throw new CollectorError('no address');
  const { host, port } = splitAddress(device.address);
  const deadline = Date.now() + timeout_ms;
  const figures = effectiveFigures(catalogue, device);
  const ctx = {
    device: device.id,
    nominal_ths: figures.nominal_ths ?? undefined,
    nominal_power_w: figures.nominal_power_w ?? undefined,
  };
  let reading: Reading | null = null;
  try {
    if (memory.plan) {
      const replies = await sweepPlanned(host, port, memory, memory.plan, deadline);
      if (replies && detectFirmware(replies) === memory.firmware) reading = parseCgminerReplies(replies, { ...ctx, ts: now() });
      // Refused now, or another firmware answers: learn again, within what is left of this poll.
      else forget(memory);
    }
    reading ??= await firstSweep(host, port, memory, ctx, deadline, now);
  } catch (err) {
    forget(memory);
    throw err;
  }
  // Not asked this sweep: the pool metrics are left out (not null), so the live state keeps the last ones.
  const fetched: PoolsFetched = pools ? parseCgminerPools(await askDetail(host, port, 'pools', deadline)) : undefined;
  const list = withPools(reading.metrics, fetched);
  if (list !== undefined) reading.pools = list;
  return reading;
}

/** A detail after the reading: undefined when refused, failed or out of time (the miner answered already). */
async function askDetail(host: string, port: number, cmd: string, deadline: number): Promise<JsonObject | undefined> {
  const ms = deadline - Date.now();
  if (ms <= 0) return undefined;
  try {
    const r = await cgminerCommand(host, port, cmd, ms);
    return isErrorStatus(r) ? undefined : r;
  } catch (err) {
    if (!(err instanceof CollectorError)) throw err;
    return undefined;
  }
}

/** The first sweep: summary and stats (joined where taken), then the extra commands the replies call for. */
async function firstSweep(
  host: string, port: number, memory: CgminerMemory, ctx: Omit<ParseContext, 'ts'>, deadline: number, now: () => number,
): Promise<Reading> {
  const ms = deadline - Date.now();
  if (ms <= 0) throw new CollectorError('timeout');
  const { replies, joins } = await fetchFirst(host, port, ms);
  let reading = parseCgminerReplies(replies, { ...ctx, ts: now() });
  const extra = extraCommands(replies, reading);
  const base: Command[] = (['summary', 'stats'] as const).filter((c) => replies[c] !== undefined);
  memory.plan = [...base, ...extra];
  memory.joins = joins;
  memory.firmware = detectFirmware(replies);
  if (!extra.length) return reading;
  let got: CgminerReplies | null = null;
  // A miner that took summary+stats takes its extras joined too: one request for them all.
  if (joins === true && extra.length > 1 && deadline - Date.now() > 0) {
    try {
      got = await askJoined(host, port, extra, deadline - Date.now());
    } catch (err) {
      if (!(err instanceof CollectorError)) throw err;
    }
  }
  // A detail the first reply lacked: the miner answered, so it is not down because this one failed.
  for (const cmd of got ? [] : extra) {
    const r = await askDetail(host, port, cmd, deadline);
    if (r !== undefined) replies[cmd] = r;
  }
  if (got) Object.assign(replies, got);
  reading = parseCgminerReplies(replies, { ...ctx, ts: reading.ts });
  // The firmware may be told only by an extra reply (btminer v2's devs, whose summary names no firmware).
  memory.firmware = detectFirmware(replies);
  return reading;
}

/** cgminer-family miners (Antminer, Avalon, LuxOS, Braiins, btminer's legacy API): one target per miner. */
export const cgminerCollector: CollectorPlugin = {
  // cgminer: thousands of cheap TCP requests per sweep, 15 s matches miners' own 15 s hashrate window.
  defaults: { interval_s: 15, timeout_ms: 3000, concurrency: 256 },
  endpoint: HOST_PORT_ENDPOINT,
  targets: (devices, ctx) => {
    const memories = new Map<string, CgminerMemory>();
    return onePerMinerWithPools((d, c, timeout_ms, pools) => {
      let memory = memories.get(d.id);
      if (memory === undefined) memories.set(d.id, (memory = freshCgminerMemory()));
      return pollCgminer(d, c.catalogue, timeout_ms, c.now, memory, pools);
    })(devices, ctx);
  },
};

// Whatsminer API v3 (current MicroBT firmware, TCP 4433). Framing, both ways: a 4-byte little-endian
// length, then that many bytes of JSON. Request `{"cmd":"get.miner.status","param":"summary"}`; reply
// `{"code":0,"when":…,"msg":{"summary":{…}},"desc":"get.miner.status"}` with hashrates in TH/s.
// Reads (get.*) need no token; only set.* commands are signed, and we never send one.
// Source of the command and field names: the Whatsminer API V3 documentation (apidoc.whatsminer.com,
// "Miner | get.miner.status", API 3.0.x), as mirrored in client libraries (pyasic BTMinerV3RPCAPI packs
// `struct.pack("<I", len)` + JSON and reads `readexactly(4)` then the body; asic-rs reads
// `msg.summary.hash-realtime` / `power-realtime` / `elapsed` / `fan-speed-in|out`).

import { effectiveFigures } from '../core/catalogue.js';
import type { CatalogueModel, DeviceModel, MetricOf, Reading } from '../core/types.js';
import { splitAddress } from './cgminer.js';
import { estimatePower, num } from './cgminer-parse.js';
import { onePerMinerWithPools, parseWhatsminerV3Pools, withPools, type PoolsFetched } from './pools-parse.js';
import { CollectorError, type CollectorPlugin, type JsonObject } from './types.js';
import { HOST_PORT_ENDPOINT, tcpRequest } from './tcp.js';

export const WHATSMINER_V3_PORT = 4433;
/** A summary is ~1 kB; edevs/pools a few kB. Anything near this is not a miner talking. */
const MAX_FRAME_BYTES = 1024 * 1024;

/** Response codes of API v3 (0 ok, -1 fail, -2 invalid command, -4 no permission). */
const CODE_TEXT: Record<number, string> = { [-1]: 'failed', [-2]: 'invalid command', [-4]: 'no permission' };

/** One request frame: 4-byte LE length + JSON. */
export function encodeV3Frame(body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length, 0);
  return Buffer.concat([head, json]);
}

/**
 * Sends one command on a fresh connection and returns the parsed reply object. Rejects with
 * CollectorError: 'refused', 'timeout', 'closed mid-reply', 'bad reply: …'.
 */
export function whatsminerV3Request(
  host: string,
  port: number,
  cmd: string,
  param: unknown,
  timeout_ms: number,
): Promise<JsonObject> {
  let buf: Buffer = Buffer.alloc(0);
  return tcpRequest<JsonObject>(host, port, timeout_ms, (socket, finish) => {
    socket.on('connect', () => socket.write(encodeV3Frame(param === undefined ? { cmd } : { cmd, param })));
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (buf.length < 4) return;
      const len = buf.readUInt32LE(0);
      // A length this large means we are not talking to API v3 (e.g. an HTTP server answering "HTTP").
      if (len > MAX_FRAME_BYTES) return finish(new CollectorError('bad reply: not a v3 frame'));
      if (buf.length < 4 + len) return;
      let v: unknown;
      try {
        v = JSON.parse(buf.subarray(4, 4 + len).toString('utf8'));
      } catch {
        return finish(new CollectorError('bad reply: not JSON'));
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return finish(new CollectorError('bad reply: not an object'));
      finish(null, v as JsonObject);
    });
    // v3 firmware keeps the connection open for more commands; an end before a whole frame is a cut-off.
    socket.on('end', () => finish(new CollectorError(buf.length ? 'closed mid-reply' : 'bad reply: empty')));
  });
}

export interface V3ParseContext {
  device: string;
  ts: number;
}

/** A `get.miner.status` summary reply → asic reading. Throws CollectorError on an error code or no summary. */
export function parseWhatsminerV3Summary(reply: JsonObject, ctx: V3ParseContext): Reading {
  checkV3Code(reply);
  const msg = reply.msg;
  const s = msg && typeof msg === 'object' && !Array.isArray(msg) ? (msg as JsonObject).summary : undefined;
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new CollectorError('bad reply: no summary');
  const summary = s as JsonObject;
  // Firmware writes 0 for a sensor or fan it does not have: unknown, not a reading of zero.
  const pos = (v: unknown): number | null => {
    const n = num(v);
    return n !== null && n > 0 ? n : null;
  };
  const boards = Array.isArray(summary['board-temperature']) ? summary['board-temperature'].map(pos) : [];
  const knownBoards = boards.filter((b): b is number => b !== null);
  const fans = [pos(summary['fan-speed-in']), pos(summary['fan-speed-out'])].filter((f): f is number => f !== null);
  const m: Record<MetricOf<'asic'>, number | null> = {
    hashrate_ths: num(summary['hash-realtime']) ?? num(summary['hash-1min']) ?? num(summary['hash-average']),
    power_w: pos(summary['power-realtime']) ?? pos(summary['power-5min']),
    chip_temp_c: pos(summary['chip-temp-max']),
    board_temp_c: knownBoards.length ? Math.max(...knownBoards) : null,
    inlet_temp_c: num(summary['environment-temperature']),
    outlet_temp_c: null,
    fan_rpm: fans.length ? fans.reduce((a, b) => a + b, 0) / fans.length : null,
    fan_min_rpm: fans.length ? Math.min(...fans) : null,
    nameplate_ths: pos(summary['factory-hash']),
    accepted_shares: null,
    rejected_shares: null,
    hw_errors: null,
    chains_ok: null,
    chains_total: null,
    uptime_s: num(summary.elapsed) ?? num(summary['bootup-time']),
    // issue 19: from `get.miner.status` `pools` (parseWhatsminerV3Pools), merged by the poll
    pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null,
  };
  const reading: Reading = { device: ctx.device, ts: ctx.ts, metrics: m };
  if (m.power_w !== null) reading.power_source = 'device';
  return reading;
}

/** A CollectorError naming the firmware's code unless the reply says success (code 0). */
function checkV3Code(reply: JsonObject): void {
  const code = num(reply.code);
  if (code === null) throw new CollectorError('bad reply: no code');
  if (code !== 0) {
    const msg = typeof reply.msg === 'string' ? `: ${reply.msg}` : '';
    throw new CollectorError(`bad reply: ${CODE_TEXT[code] ?? `code ${code}`}${msg}`);
  }
}

/** The `msg` object of a successful v3 reply, or a CollectorError naming the firmware's code. */
function v3Msg(reply: JsonObject): JsonObject {
  checkV3Code(reply);
  const msg = reply.msg;
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) throw new CollectorError('bad reply: no msg');
  return msg as JsonObject;
}

/**
 * `get.miner.status` `edevs` (one entry per hash board, `status` "alive", `hash-realtime` TH/s) → chains
 * ok/total. A board counts as ok when alive and hashing. Null when the reply holds no edevs.
 */
export function parseWhatsminerV3Edevs(reply: JsonObject): { chains_ok: number; chains_total: number } | null {
  const edevs = v3Msg(reply).edevs;
  if (!Array.isArray(edevs) || !edevs.length) return null;
  const boards = edevs.filter((e): e is JsonObject => !!e && typeof e === 'object' && !Array.isArray(e));
  const ok = boards.filter((b) => /alive/iu.test(String(b.status ?? '')) && (num(b['hash-realtime']) ?? 0) > 0).length;
  return { chains_ok: ok, chains_total: boards.length };
}

/**
 * `get.device.info` → the number of hash boards fitted (`msg.miner.board-num`), for when edevs says
 * nothing. It tells how many chains there are, not which hash: chains_ok stays unknown.
 */
export function parseWhatsminerV3BoardCount(reply: JsonObject): number | null {
  const miner = v3Msg(reply).miner;
  if (!miner || typeof miner !== 'object' || Array.isArray(miner)) return null;
  const n = num((miner as JsonObject)['board-num']);
  return n !== null && n > 0 && Number.isInteger(n) ? n : null;
}

/** The unit's factory hashrate (TH/s) from a summary reply, the nameplate when the catalogue has none. */
export function whatsminerV3Nameplate(reply: JsonObject): number | null {
  const s = v3Msg(reply).summary;
  if (!s || typeof s !== 'object' || Array.isArray(s)) return null;
  const v = num((s as JsonObject)['factory-hash']);
  return v !== null && v > 0 ? v : null;
}

/** The value, or null when the request failed the way a miner fails (CollectorError). */
async function optional<T>(f: () => Promise<T | null>): Promise<T | null> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof CollectorError) return null;
    throw err;
  }
}

/**
 * What a miner's earlier sweeps taught: whether it answers `edevs` (older v3 builds refuse it), and the
 * board count get.device.info gave in that case. The count is a fact of the hardware, asked once per boot:
 * kept until the miner's uptime goes back (a reboot) or a poll fails.
 */
export interface V3Memory {
  edevs: boolean | null;
  boards: number | null;
  uptime_s: number | null;
}

export function freshV3Memory(): V3Memory {
  return { edevs: null, boards: null, uptime_s: null };
}

/**
 * Polls one Whatsminer over API v3 and returns its reading: the summary, then `edevs` for the chains,
 * which the summary does not carry (two requests a sweep, one connection each, as on the cgminer path).
 * A miner that refuses edevs is asked get.device.info for its board count once per boot, and from then on
 * its sweep is the summary alone.
 */
export async function pollWhatsminerV3(
  device: DeviceModel,
  catalogue: Map<string, CatalogueModel>,
  timeout_ms: number,
  now: () => number = Date.now,
  memory: V3Memory = freshV3Memory(),
  pools = false,
): Promise<Reading> {
  if (!device.address) throw new CollectorError('no address');
  const { host, port } = splitAddress(device.address, WHATSMINER_V3_PORT);
  const deadline = Date.now() + timeout_ms;
  let reply: JsonObject;
  let reading: Reading;
  try {
    reply = await whatsminerV3Request(host, port, 'get.miner.status', 'summary', timeout_ms);
    reading = parseWhatsminerV3Summary(reply, { device: device.id, ts: now() });
  } catch (err) {
    Object.assign(memory, freshV3Memory());
    throw err;
  }
  const uptime = reading.metrics.uptime_s;
  if (uptime != null && memory.uptime_s !== null && uptime < memory.uptime_s) Object.assign(memory, freshV3Memory());
  memory.uptime_s = uptime ?? null;
  if (memory.edevs !== false && deadline - Date.now() > 0) {
    // Chains are a detail: a miner that answered its summary is not down because these fail. Only an answer
    // that refuses edevs (an error code, or none listed) marks it as a miner without them; a timeout does not.
    let refused = false;
    const chains = await optional(async () => {
      try {
        const r = parseWhatsminerV3Edevs(await whatsminerV3Request(host, port, 'get.miner.status', 'edevs', deadline - Date.now()));
        if (r === null) refused = true;
        return r;
      } catch (err) {
        if (err instanceof CollectorError && err.reason.startsWith('bad reply')) refused = true;
        throw err;
      }
    });
    if (chains) {
      Object.assign(reading.metrics, chains);
      memory.edevs = true;
    } else if (refused && memory.edevs === null) memory.edevs = false;
  }
  if (memory.edevs === false) {
    // No edevs (older v3 builds refuse it): get.device.info at least says how many boards are fitted.
    if (memory.boards === null && deadline - Date.now() > 0) {
      memory.boards = await optional(async () =>
        parseWhatsminerV3BoardCount(await whatsminerV3Request(host, port, 'get.device.info', undefined, deadline - Date.now())));
    }
    reading.metrics.chains_total = memory.boards;
  }
  if (reading.metrics.power_w === null && reading.metrics.hashrate_ths != null) {
    // Same estimate as the cgminer path, with the reply's factory hashrate when the catalogue has none.
    const { nominal_power_w: p, nominal_ths: t } = effectiveFigures(catalogue, device);
    const est = estimatePower(reading.metrics.hashrate_ths, p ?? undefined, t ?? whatsminerV3Nameplate(reply) ?? undefined);
    if (est !== null) {
      reading.metrics.power_w = est;
      reading.power_source = 'estimate';
    }
  }
  // Pools every third sweep (the caller's cadence), last and optional like edevs.
  let fetched: PoolsFetched;
  if (pools) {
    const ms = deadline - Date.now();
    fetched = ms <= 0 ? null : await optional(async () => {
      const r = await whatsminerV3Request(host, port, 'get.miner.status', 'pools', ms);
      return r.code === 0 ? parseWhatsminerV3Pools(r) : null;
    });
  }
  const list = withPools(reading.metrics, fetched);
  if (list !== undefined) reading.pools = list;
  return reading;
}

/** Whatsminers on current MicroBT firmware (API v3): one target per miner, at the same host:port key as cgminer. */
export const whatsminerV3Collector: CollectorPlugin = {
  defaults: { interval_s: 15, timeout_ms: 3000, concurrency: 256 },
  endpoint: HOST_PORT_ENDPOINT,
  targets: (devices, ctx) => {
    const memories = new Map<string, V3Memory>();
    return onePerMinerWithPools((d, c, timeout_ms, pools) => {
      let memory = memories.get(d.id);
      if (memory === undefined) memories.set(d.id, (memory = freshV3Memory()));
      return pollWhatsminerV3(d, c.catalogue, timeout_ms, c.now, memory, pools);
    })(devices, ctx);
  },
};

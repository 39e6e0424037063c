// Braiins OS (bosminer, 25.07 and later) over its public REST API: http://host:port/api/v1/… on the miner's
// web port (80). It is the JSON face of the gRPC API `braiins.bos.v1` (github.com/braiins/bos-plus-api): the
// same messages with their proto field names (snake_case), enums as numbers and unit wrappers
// ({"gigahash_per_second": …}, {"watt": …}, {"degree_c": …}); the paths and the login are those of the
// OpenAPI document the firmware serves at /api/v1/docs/openapi.json (as published in
// 256foundation/asic-rs meta/braiins/26.04/openapi.json).
//
// Why REST and not gRPC on 50051: the only real replies of a Braiins OS miner published anywhere are REST
// bodies (asic-rs' test captures, test/fixtures/asic/braiins-grpc/README.md), so the test serves them
// byte-exact over the protocol they were captured on; REST needs no new dependency and no copy of the
// GPL-3.0 proto files in this (UNLICENSED) project. Firmware before 25.07 has gRPC only; it still answers the
// cgminer-compatible API on 4028, which the cgminer collector reads.
//
// Login: POST /api/v1/auth/login {username, password} → {token, timeout_s}; the token goes in the
// `authorization` header as is (no "Bearer"). A session lasts timeout_s (3600 s) after the last request, so a
// 15 s poll keeps one token alive; it is fetched again after a 401 or 403.

import { effectiveFigures } from '../core/catalogue.js';
import type { CatalogueModel, CollectorSettings, DeviceModel, MetricOf, Reading } from '../core/types.js';
import { splitAddress } from './cgminer.js';
import { httpText } from './http.js';
import { parseBraiinsPools, poolsCadence, withPools, type PoolsFetched } from './pools-parse.js';
import { HOST_PORT_ENDPOINT } from './tcp.js';
import { CollectorError, type CollectorPlugin, type JsonObject, type PollContext, type PollTarget } from './types.js';

/** The miner's web port, where the REST API answers. */
export const BRAIINS_PORT = 80;
/** The largest of these replies is a few kB (hashboards of a 4-board miner); far above that is not bosminer. */
const MAX_REPLY_BYTES = 1024 * 1024;

/** The calls one poll makes; stats is the one without which there is no reading. */
export const BRAIINS_PATHS = {
  stats: 'miner/stats',
  hashboards: 'miner/hw/hashboards',
  cooling: 'cooling/state',
  details: 'miner/details',
} as const;
export type BraiinsCall = keyof typeof BRAIINS_PATHS;
export type BraiinsReplies = { stats: JsonObject } & Partial<Record<Exclude<BraiinsCall, 'stats'>, JsonObject>> & {
  /** `pools/` (issue 19): a JSON list of pool groups, asked every third sweep; null = asked, not answered */
  pools?: unknown;
};
/** The pool groups, the one call whose reply is a list. */
export const BRAIINS_POOLS_PATH = 'pools/';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The member at `path`, or undefined where any step is missing or not an object. */
function pick(o: unknown, ...path: string[]): unknown {
  let v: unknown = o;
  for (const k of path) {
    if (!isObject(v)) return undefined;
    v = v[k];
  }
  return v;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function maxOf(values: (number | null)[]): number | null {
  const known = values.filter((x): x is number => x !== null);
  return known.length ? Math.max(...known) : null;
}

/**
 * A RealHashrate message → TH/s: the 5 s rate (the issue's "5 s rate where given"), else the next shortest
 * window. The API gives GigaHashrate; one TH/s is 1000 GH/s.
 */
function realTHs(rates: unknown): number | null {
  for (const w of ['last_5s', 'last_15s', 'last_30s', 'last_1m']) {
    const gh = num(pick(rates, w, 'gigahash_per_second'));
    if (gh !== null) return gh / 1000;
  }
  return null;
}

function list(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

/** SensorLocation of cooling.proto: 1 is a chip sensor, 2 a PCB one. */
const SENSOR_LOCATION_CHIP = 1;

/**
 * The replies of one poll → an asic reading, every metric named (null where the API has no value).
 *
 * - hashrate: miner_stats.real_hashrate (5 s); power: power_stats.approximated_consumption (the firmware's
 *   own figure from its power model: it is what Braiins OS shows, so power_source 'device').
 * - chip / board: the highest across hashboards (highest_chip_temp, board_temp); the cooling state's
 *   highest_temperature stands in for chip when the boards give none and it is a chip sensor.
 * - inlet / outlet: null. The hashboards' lowest_inlet_temp / highest_outlet_temp are PCB sensors at the
 *   board's intake and exhaust edges (35–44 °C in the captures, on miners in ordinary rooms), not air: as
 *   rack inlet they would raise false ASHRAE alerts (the same call redfish.ts makes for CPU sensors).
 * - fans: the mean rpm of cooling.fans[] (a stopped fan reads 0 and counts: it is a reading).
 * - chains: total = hashboards listed; ok = enabled ones not reporting a hashrate of 0.
 * - shares: pool_stats accepted / rejected. hw_errors: null, the API gives an error *rate* (error_hashrate,
 *   MH/s), not a count.
 * - uptime: bosminer_uptime_s (the mining process, as cgminer's Elapsed), else the system's.
 */
export function mapBraiins(r: BraiinsReplies, ctx: { device: string; ts: number }): Reading {
  const stats = r.stats;
  if (!isObject(stats.miner_stats) && !isObject(stats.power_stats) && !isObject(stats.pool_stats)) {
    throw new CollectorError('bad reply: no miner stats');
  }
  const boards = list(pick(r.hashboards, 'hashboards'));
  const fans = list(pick(r.cooling, 'fans')).map((f) => num(f.rpm)).filter((x): x is number => x !== null);
  const highest = pick(r.cooling, 'highest_temperature');
  const coolingChip = num(pick(highest, 'location')) === SENSOR_LOCATION_CHIP ? num(pick(highest, 'temperature', 'degree_c')) : null;
  const boardRates = boards.map((b) => realTHs(pick(b, 'stats', 'real_hashrate')));
  const m: Record<MetricOf<'asic'>, number | null> = {
    hashrate_ths: realTHs(pick(stats, 'miner_stats', 'real_hashrate')),
    power_w: num(pick(stats, 'power_stats', 'approximated_consumption', 'watt')),
    chip_temp_c: maxOf(boards.map((b) => num(pick(b, 'highest_chip_temp', 'temperature', 'degree_c')))) ?? coolingChip,
    board_temp_c: maxOf(boards.map((b) => num(pick(b, 'board_temp', 'degree_c')))),
    inlet_temp_c: null,
    outlet_temp_c: null,
    fan_rpm: fans.length ? fans.reduce((a, b) => a + b, 0) / fans.length : null,
    accepted_shares: num(pick(stats, 'pool_stats', 'accepted_shares')),
    rejected_shares: num(pick(stats, 'pool_stats', 'rejected_shares')),
    hw_errors: null,
    chains_ok: r.hashboards === undefined ? null : boards.filter((b, i) => b.enabled === true && boardRates[i] !== 0).length,
    chains_total: r.hashboards === undefined ? null : boards.length,
    uptime_s: num(pick(r.details, 'bosminer_uptime_s')) ?? num(pick(r.details, 'system_uptime_s')),
    // issue 13 (branch i13-firmware): the slowest fan, and the firmware's own nominal (GH/s → TH/s)
    fan_min_rpm: fans.length ? Math.min(...fans) : null,
    nameplate_ths: (() => {
      const gh = num(pick(stats, 'miner_stats', 'nominal_hashrate', 'gigahash_per_second'));
      return gh !== null && gh > 0 ? gh / 1000 : null;
    })(),
    // issue 19: from `pools/` (parseBraiinsPools), merged by the poll
    pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null,
  };
  const reading: Reading = { device: ctx.device, ts: ctx.ts, metrics: m };
  if (m.power_w !== null) reading.power_source = 'device';
  return reading;
}

/** One miner's REST session: its base URL, its login, and the token while it lasts. */
export class BraiinsSession {
  private token: string | null = null;

  constructor(
    private readonly base: string,
    private readonly login: Readonly<{ username: string; password: string }> | undefined,
  ) {}

  /** The four calls of a poll within one deadline; stats must answer, the others may be refused by HTTP status. */
  async fetchAll(timeout_ms: number, pools = false): Promise<BraiinsReplies> {
    try {
      return await this.fetchOnce(timeout_ms, pools);
    } catch (err) {
      // Down, or not answering: it may come back rebooted, with other uptimes.
      this.details = null;
      this.accepted = null;
      throw err;
    }
  }

  private async fetchOnce(timeout_ms: number, pools: boolean): Promise<BraiinsReplies> {
    const deadline = Date.now() + timeout_ms;
    if (this.token === null && this.login !== undefined) await this.logIn(left(deadline));
    try {
      return await this.calls(deadline, pools);
    } catch (err) {
      // An expired session (the miner rebooted, or the token timed out): log in once more and retry.
      if (!(err instanceof CollectorError) || !/^bad reply: HTTP 40[13]$/u.test(err.reason) || this.login === undefined) throw err;
      this.token = null;
      this.details = null;
      await this.logIn(left(deadline));
      return this.calls(deadline, pools);
    }
  }

  /** miner/details as last fetched (its uptimes, model, sticker hashrate), and when (epoch ms) */
  private details: { reply: JsonObject; at: number } | null = null;
  /** pool_stats.accepted_shares of the last poll: a count going back means bosminer restarted */
  private accepted: number | null = null;

  /**
   * stats, hashboards and cooling every sweep (in parallel, on one kept-alive connection); details once per
   * session: it holds the model, serials and the sticker hashrate, which do not change, and the uptimes,
   * which advance with the clock. It is fetched again after a login (a reboot ends the session), when the
   * share count goes back (bosminer restarted), or when the last fetch failed. So a sweep is three GETs,
   * and a fourth (pools/) every third sweep when the caller's cadence asks for pools (issue 19).
   */
  private async calls(deadline: number, pools: boolean): Promise<BraiinsReplies> {
    const optional = (call: Exclude<BraiinsCall, 'stats'>): Promise<JsonObject | undefined> =>
      this.get(BRAIINS_PATHS[call], left(deadline)).catch((err: unknown) => {
        // A firmware without this call (an HTTP error status) still has a reading; a dead miner does not.
        if (err instanceof CollectorError && /^bad reply: HTTP (?!40[13]$)/u.test(err.reason)) return undefined;
        throw err;
      });
    const poolGroups = async (): Promise<unknown> => {
      if (!pools) return undefined;
      try {
        return parseJson(await httpText(`${this.base}/api/v1/${BRAIINS_POOLS_PATH}`, { headers: this.headers() }, left(deadline), MAX_REPLY_BYTES));
      } catch (err) {
        // A detail like the others: any failure leaves the pools unknown, never the miner down.
        if (err instanceof CollectorError) return null;
        throw err;
      }
    };
    const cached = this.details;
    const [stats, hashboards, cooling, fresh, poolReply] = await Promise.all([
      this.get(BRAIINS_PATHS.stats, left(deadline)).catch((err: unknown) => {
        throw err instanceof CollectorError && err.reason === 'bad reply: HTTP 404' ? NO_REST_API : err;
      }),
      optional('hashboards'), optional('cooling'), cached === null ? optional('details') : Promise.resolve(undefined),
      poolGroups(),
    ]);
    const accepted = num(pick(stats, 'pool_stats', 'accepted_shares'));
    const restarted = accepted !== null && this.accepted !== null && accepted < this.accepted;
    this.accepted = accepted;
    if (fresh !== undefined) this.details = { reply: fresh, at: Date.now() };
    if (restarted) this.details = null; // its uptimes are the old process's: fetched again next sweep
    const out: BraiinsReplies = { stats, hashboards, cooling, details: fresh ?? (restarted || cached === null ? undefined : advanced(cached)) };
    if (pools) out.pools = poolReply ?? null;
    return out;
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (this.token !== null) h.authorization = this.token;
    return h;
  }

  private async get(path: string, timeout_ms: number): Promise<JsonObject> {
    return parseObject(await httpText(`${this.base}/api/v1/${path}`, { headers: this.headers() }, timeout_ms, MAX_REPLY_BYTES));
  }

  private async logIn(timeout_ms: number): Promise<void> {
    if (this.login === undefined) return;
    let reply: JsonObject;
    try {
      reply = parseObject(await httpText(`${this.base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username: this.login.username, password: this.login.password }),
      }, timeout_ms, MAX_REPLY_BYTES));
    } catch (err) {
      // Firmware before 25.07 has no /api/v1 at all: say that, not that the password is wrong.
      if (err instanceof CollectorError && err.reason === 'bad reply: HTTP 404') throw NO_REST_API;
      if (err instanceof CollectorError && err.reason.startsWith('bad reply: HTTP')) {
        throw new CollectorError(`bad reply: login failed (${err.reason.slice('bad reply: '.length)})`);
      }
      throw err;
    }
    if (typeof reply.token !== 'string' || reply.token === '') throw new CollectorError('bad reply: login gave no token');
    this.token = reply.token;
  }
}

/** What a miner without the REST API (Braiins OS before 25.07, or not Braiins OS) answers as. */
const NO_REST_API_REASON = 'bad reply: HTTP 404 (no REST API: Braiins OS before 25.07?)';
const NO_REST_API = new CollectorError(NO_REST_API_REASON);

/** A cached details reply with its uptimes advanced by the time since it was fetched. */
function advanced(cached: { reply: JsonObject; at: number }): JsonObject {
  const s = Math.floor((Date.now() - cached.at) / 1000);
  const out: JsonObject = { ...cached.reply };
  for (const k of ['bosminer_uptime_s', 'system_uptime_s']) {
    const v = num(out[k]);
    if (v !== null) out[k] = v + s;
  }
  return out;
}

function left(deadline: number): number {
  const ms = deadline - Date.now();
  if (ms <= 0) throw new CollectorError('timeout');
  return ms;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CollectorError('bad reply: not JSON');
  }
}

function parseObject(text: string): JsonObject {
  const v = parseJson(text);
  if (!isObject(v)) throw new CollectorError('bad reply: not an object');
  return v;
}

/** One poll of a miner: its replies mapped, power estimated from the catalogue only when the firmware gives none. */
export async function pollBraiins(
  device: DeviceModel, session: BraiinsSession, catalogue: Map<string, CatalogueModel>, timeout_ms: number, now: () => number,
  pools = false,
): Promise<Reading> {
  const replies = await session.fetchAll(timeout_ms, pools);
  const reading = mapBraiins(replies, { device: device.id, ts: now() });
  const fetched: PoolsFetched = replies.pools === undefined ? undefined : parseBraiinsPools(replies.pools, reading.ts);
  const list = withPools(reading.metrics, fetched);
  if (list !== undefined) reading.pools = list;
  if (reading.metrics.power_w === null && reading.metrics.hashrate_ths != null) {
    // Same estimate as the cgminer and Whatsminer paths: nominal power scaled by how hard it is hashing.
    const { nominal_power_w: p, nominal_ths: t } = effectiveFigures(catalogue, device);
    if (p && t) {
      reading.metrics.power_w = Math.round(p * Math.min(reading.metrics.hashrate_ths / t, 1.5) * 10) / 10;
      reading.power_source = 'estimate';
    }
  }
  return reading;
}

function targets(devices: DeviceModel[], ctx: PollContext): PollTarget[] {
  return devices.flatMap((d) => {
    if (d.address === undefined) return [];
    const { host, port } = splitAddress(d.address, BRAIINS_PORT);
    const session = new BraiinsSession(`http://${host.includes(':') ? `[${host}]` : host}:${port}`, ctx.settings.login);
    const cadence = poolsCadence();
    return [{
      key: d.id, devices: [d],
      poll: async (timeout_ms: number) => {
        const t = ctx.now();
        const pools = cadence.due(t);
        ctx.sink.accept([await pollBraiins(d, session, ctx.catalogue, timeout_ms, ctx.now, pools)]);
        if (pools) cadence.done(t);
      },
    }];
  });
}

/**
 * Default login: root/root, the default of pyasic's Braiins client (pyasic/settings
 * default_bosminer_web_password); set collectors.braiins.username / password (or password_env) for a site's own.
 */
const DEFAULTS: Readonly<CollectorSettings> = {
  // Three HTTP requests per poll (four on the first, five with a login) on the miner's small web server: fewer at once than the raw-TCP collectors.
  interval_s: 15, timeout_ms: 5000, concurrency: 64,
  login: { username: 'root', password: 'root' },
};

/** Braiins OS miners over the REST API: one target (and one session) per miner, at `address` like cgminer. */
export const braiinsCollector: CollectorPlugin = {
  defaults: DEFAULTS,
  endpoint: HOST_PORT_ENDPOINT,
  targets,
};

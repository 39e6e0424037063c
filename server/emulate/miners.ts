// Emulated cgminer-family miners on loopback, for demos, load tests and the test suite. Each miner is one
// listening port speaking the real protocol: a JSON command (`{"command":"summary+stats"}`) or plain text
// in, the JSON reply plus a trailing NUL out, then close.
//
// One connection at a time per miner, like real firmware: cgminer's API is one thread that accepts, answers
// and closes before it accepts again. A second concurrent connection therefore WAITS (the kernel completes
// its handshake into the listen backlog; we do not read or answer it) until the first one is answered and
// closed; it is never refused. A client with a short timeout sees that wait as a timeout, as it would on a
// real miner.
//
// Values vary slowly (a few % over minutes) and deterministically from (miner index, time), so a test can
// ask emulatedMinerState what a miner meant to say at a given instant.

import net from 'node:net';

export type MinerVariant = 'bmminer' | 'btminer' | 'avalon' | 'braiins' | 'luxos';
export const MINER_VARIANTS: readonly MinerVariant[] = ['bmminer', 'btminer', 'avalon', 'braiins', 'luxos'];

/** The figures of a CatalogueModel an emulated miner needs. */
export interface EmulatedMinerModel {
  name?: string;
  nominal_ths: number;
  nominal_power_w: number;
  max_temp_c?: number;
}

export interface EmulatedMinersOptions {
  count: number;
  /** first port; miner i listens on basePort + i. 0 = any free ports (tests). */
  basePort: number;
  host?: string;
  model: EmulatedMinerModel;
  variant?: MinerVariant;
  /** test hook: epoch ms; defaults to Date.now */
  clock?: () => number;
}

export interface EmulatedMiners {
  ports: number[];
  /** connections answered so far, all miners together */
  served(): number;
  stop(): Promise<void>;
}

/** What one miner means to report at one instant, already at the precision its firmware prints. */
export interface MinerState {
  hashrate_ths: number;
  /** wall power the miner draws (only some firmware reports it) */
  power_w: number;
  chip_temp_c: number;
  board_temp_c: number;
  inlet_temp_c: number;
  fans_rpm: number[];
  /** the parser's fan figure: mean of fitted fans, one decimal */
  fan_rpm: number;
  chain_rate_ths: number[];
  chain_asics: number[];
  chains_ok: number;
  chains_total: number;
  accepted_shares: number;
  rejected_shares: number;
  hw_errors: number;
  uptime_s: number;
}

const ASICS_PER_CHAIN = 108;

/** Deterministic 0..1 per (index, salt), so each miner has its own phase and offsets. */
function unit(index: number, salt: number): number {
  const x = Math.sin(index * 12.9898 + salt * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

const round = (n: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/**
 * A miner's state at time t. Every 50th miner (index % 50 === 49) runs with its third hash board down,
 * so a demo site has something to alert on.
 */
export function emulatedMinerState(model: EmulatedMinerModel, index: number, t_ms: number): MinerState {
  const phase = unit(index, 1) * 2 * Math.PI;
  // Slow drift: a 10-minute cycle of ±1.5 %, plus a per-miner bias of ±2 %.
  const wave = Math.sin(t_ms / 95_493 + phase);
  const bias = (unit(index, 2) - 0.5) * 0.04;
  const chainDown = index % 50 === 49;
  const perChain = (model.nominal_ths / 3) * (1 + bias + 0.015 * wave);
  const chain_rate_ths = [0, 1, 2].map((c) => (chainDown && c === 2 ? 0 : round(perChain * (1 + (unit(index, 10 + c) - 0.5) * 0.01), 3)));
  const hashrate_ths = round(chain_rate_ths.reduce((a, b) => a + b, 0), 3);
  const load = hashrate_ths / model.nominal_ths;
  const inlet_temp_c = Math.round(24 + 4 * unit(index, 3) + 1.5 * wave);
  const board_temp_c = inlet_temp_c + Math.round(30 + 6 * load);
  const chip_temp_c = Math.min(board_temp_c + Math.round(12 + 4 * unit(index, 4)), (model.max_temp_c ?? 95) + 5);
  const fanBase = 4200 + 1200 * unit(index, 5) + 150 * wave;
  const fans_rpm = [0, 1, 2, 3].map((f) => Math.round(fanBase + (unit(index, 20 + f) - 0.5) * 120));
  const fan_rpm = round(fans_rpm.reduce((a, b) => a + b, 0) / fans_rpm.length, 1);
  const uptime_s = Math.floor(t_ms / 1000 - 1_700_000_000 + 3600 + unit(index, 6) * 86_400 * 3) % (86_400 * 40);
  const accepted_shares = Math.floor(uptime_s * 0.14 * load);
  return {
    hashrate_ths,
    power_w: Math.round(model.nominal_power_w * (0.97 + 0.03 * load) * (1 + 0.004 * wave)),
    chip_temp_c,
    board_temp_c,
    inlet_temp_c,
    fans_rpm,
    fan_rpm,
    chain_rate_ths,
    chain_asics: chain_rate_ths.map((r) => (r > 0 ? ASICS_PER_CHAIN : 0)),
    chains_ok: chain_rate_ths.filter((r) => r > 0).length,
    chains_total: 3,
    accepted_shares,
    rejected_shares: Math.floor(accepted_shares / 900),
    hw_errors: Math.floor(uptime_s / 5000),
    uptime_s,
  };
}

const INVALID = (when: number): string =>
  `{"STATUS":[{"STATUS":"E","When":${when},"Code":14,"Msg":"Invalid command","Description":"btminer"}],"id":1}`;

function status(when: number, code: number, msg: string, description: string): string {
  return `"STATUS":[{"STATUS":"S","When":${when},"Code":${code},"Msg":"${msg}","Description":"${description}"}]`;
}

function cgSummary(s: MinerState, when: number, description: string, rate: 'GHS' | 'MHS'): string {
  const ghs = Math.round(s.hashrate_ths * 1e3);
  const fields =
    rate === 'GHS'
      ? `"GHS 5s":"${ghs.toFixed(2)}","GHS av":${ghs.toFixed(2)}`
      : `"MHS av":${Math.round(s.hashrate_ths * 1e6)}.00,"MHS 5s":${Math.round(s.hashrate_ths * 1e6)}.00`;
  return `{${status(when, 11, 'Summary', description)},"SUMMARY":[{"Elapsed":${s.uptime_s},${fields},"Found Blocks":0,` +
    `"Getworks":${Math.floor(s.uptime_s / 30)},"Accepted":${s.accepted_shares},"Rejected":${s.rejected_shares},` +
    `"Hardware Errors":${s.hw_errors},"Utility":0.00,"Discarded":0,"Stale":0,"Get Failures":0,"Local Work":0,` +
    `"Remote Failures":0,"Network Blocks":0,"Best Share":0}],"id":1}`;
}

/** bmminer/LuxOS stats: version entry, then the device entry (bmminer really omits the comma between them). */
function bmStats(s: MinerState, when: number, kind: 'bmminer' | 'luxos', modelName: string): string {
  const head = kind === 'bmminer'
    ? `{"BMMiner":"1.0.0","Miner":"uart_trans.1.3","CompileTime":"Thu Apr 11 2024","Type":"${modelName}"}`
    : `{"LUXminer":"2024.5.1.131442","Miner":"2024.5.1.131442","CompileTime":"2024-05-01","Type":"${modelName}"}`;
  const sep = kind === 'bmminer' ? '' : ',';
  const parts = [
    `"STATS":0,"ID":"${kind === 'bmminer' ? 'BC50' : 'LUX0'}","Elapsed":${s.uptime_s},"Calls":0,"Wait":0.000000,"Max":0.000000,"Min":99999999.000000`,
    `"GHS 5s":${kind === 'bmminer' ? `"${Math.round(s.hashrate_ths * 1e3).toFixed(2)}"` : Math.round(s.hashrate_ths * 1e3)}`,
    `"miner_count":3,"fan_num":4`,
    s.fans_rpm.map((f, i) => `"fan${i + 1}":${f}`).join(','),
    `"temp_num":3`,
    [1, 2, 3].map((i) => `"temp${i}":${s.board_temp_c - (3 - i)}`).join(','),
    [1, 2, 3].map((i) => `"temp2_${i}":${s.chip_temp_c - (3 - i)}`).join(','),
    s.chain_asics.map((a, i) => `"chain_acn${i + 1}":${a}`).join(','),
    s.chain_rate_ths.map((r, i) => `"chain_rate${i + 1}":"${(r * 1e3).toFixed(2)}"`).join(','),
    s.chain_asics.map((a, i) => `"chain_acs${i + 1}":" ${a > 0 ? 'oooooooo' : 'xxxxxxxx'}"`).join(','),
  ];
  return `{${status(when, 70, 'CGMiner stats', kind === 'bmminer' ? 'bmminer 1.0.0' : 'LUXminer 2024.5.1.131442')},` +
    `"STATS":[${head}${sep}{${parts.join(',')}}],"id":1}`;
}

function btSummary(s: MinerState, when: number, model: EmulatedMinerModel): string {
  const mhs = Math.round(s.hashrate_ths * 1e6);
  return `{${status(when, 11, 'Summary', 'btminer')},"SUMMARY":[{"Elapsed":${s.uptime_s},"MHS av":${mhs}.00,` +
    `"MHS 5s":${mhs}.00,"MHS 1m":${mhs}.00,"HS RT":${mhs}.00,"Accepted":${s.accepted_shares},` +
    `"Rejected":${s.rejected_shares},"Hardware Errors":${s.hw_errors},"Temperature":${s.board_temp_c}.00,` +
    `"Fan Speed In":${s.fans_rpm[0]},"Fan Speed Out":${s.fans_rpm[1]},"Power":${s.power_w},"Power_RT":${s.power_w},` +
    `"Power Limit":${Math.round(model.nominal_power_w * 1.05)},"Chip Temp Min":${s.chip_temp_c - 9}.00,` +
    `"Chip Temp Max":${s.chip_temp_c}.00,"Chip Temp Avg":${s.chip_temp_c - 4}.00,"Env Temp":${s.inlet_temp_c}.00,` +
    `"Uptime":${s.uptime_s},"Firmware Version":"'20240402.22.REL'"}],"id":1}`;
}

function avalonStats(s: MinerState, when: number): string {
  const mghs = s.chain_rate_ths.map((r) => (r * 1e3).toFixed(2)).join(' ');
  const mm = `Ver[1566-24102401_25462b2_9ddf522] DNA[0201000045c8a3f1] MEMFREE[1206760.0] NETFAIL[0 0 0 0 0 0 0 0] ` +
    `SYSTEMSTATU[Work: In Work, Hash Board: 3 ] Elapsed[${s.uptime_s}] BOOTBY[0x04.00000000] LW[0] MH[0 0 0] HW[${s.hw_errors}] ` +
    `DH[1.100%] Temp[${s.inlet_temp_c}] TMax[${s.chip_temp_c}] TAvg[${s.chip_temp_c - 6}] ` +
    s.fans_rpm.map((f, i) => `Fan${i + 1}[${f}]`).join(' ') +
    ` FanR[70%] Vo[327] PS[0 1217 1311 243 ${s.power_w} 1308] GHSspd[${Math.round(s.hashrate_ths * 1e3).toFixed(2)}] ` +
    `DHspd[1.100%] GHSmm[${Math.round(s.hashrate_ths * 1e3).toFixed(2)}] GHSavg[${Math.round(s.hashrate_ths * 1e3).toFixed(2)}] ` +
    `WU[0.00] Freq[0.00] Led[0] MGHS[${mghs}] MTmax[${s.chip_temp_c} ${s.chip_temp_c - 1} ${s.chip_temp_c - 2}] ` +
    `WALLPOWER[${s.power_w}] SoftOFF[0] ECHU[0 0 0] ECMM[0]`;
  return `{${status(when, 70, 'CGMiner stats', 'cgminer 4.11.1')},"STATS":[{"STATS":0,"ID":"AVA100","Elapsed":${s.uptime_s},` +
    `"Calls":0,"Wait":0.000000,"Max":0.000000,"Min":99999999.000000,"MM ID0":"${mm}","MM Count":1}],"id":1}`;
}

function braiinsStats(s: MinerState, when: number): string {
  return `{${status(when, 70, 'CGMiner stats', 'BOSer boser-buildroot 0.1.0-0ce150e9')},"STATS":[{"STATS":0,"ID":"BOS0",` +
    `"Elapsed":${s.uptime_s},"Calls":0,"Wait":0.0,"Max":0.0,"Min":99999999.0}],"id":1}`;
}

/** LuxOS `power` (shape of asic-rs luxminer/v1/power.json): the wall watts its stats lack. */
function luxPower(s: MinerState, when: number): string {
  return `{${status(when, 311, 'Power usage', 'LUXminer 2024.5.1.131442')},"POWER":[{"PSU":false,"Watts":${s.power_w}}],"id":1}`;
}

/** `devs`, one entry per hash board (btminer's shape, asic-rs whatsminer/v1/devs.json; BOSer's is alike). */
function boardDevs(s: MinerState, when: number, description: string): string {
  const boards = s.chain_rate_ths.map((r, i) =>
    `{"ASC":${i},"Name":"SM","ID":${i},"Slot":${i},"Enabled":"Y","Status":"${r > 0 ? 'Alive' : 'Dead'}",` +
    `"Temperature":${s.board_temp_c}.00,"MHS 5s":${Math.round(r * 1e6)}.00,"Chip Temp Max":${s.chip_temp_c}.00}`);
  return `{${status(when, 9, `${boards.length} ASC(s)`, description)},"DEVS":[${boards.join(',')}],"id":1}`;
}

/** Command → reply text (without the NUL), as this firmware variant answers at this instant. */
export function minerReplies(variant: MinerVariant, model: EmulatedMinerModel, s: MinerState, when_s: number): Record<string, string> {
  const name = model.name ?? 'Antminer S21';
  let summary: string;
  let stats: string | undefined;
  switch (variant) {
    case 'bmminer':
      summary = cgSummary(s, when_s, 'bmminer 1.0.0', 'GHS');
      stats = bmStats(s, when_s, 'bmminer', name);
      break;
    case 'luxos':
      summary = cgSummary(s, when_s, 'LUXminer 2024.5.1.131442', 'GHS');
      stats = bmStats(s, when_s, 'luxos', name);
      break;
    case 'avalon':
      summary = cgSummary(s, when_s, 'cgminer 4.11.1', 'MHS');
      stats = avalonStats(s, when_s);
      break;
    case 'braiins':
      summary = cgSummary(s, when_s, 'BOSer boser-buildroot 0.1.0-0ce150e9', 'MHS');
      stats = braiinsStats(s, when_s);
      break;
    case 'btminer':
      // btminer refuses joined commands and `stats`: the collector falls back to `summary` alone.
      // Its boards are in `devs`, which the collector asks for because summary has no chain count.
      return {
        summary: btSummary(s, when_s, model), stats: INVALID(when_s), 'summary+stats': INVALID(when_s),
        devs: boardDevs(s, when_s, 'btminer'),
      };
  }
  const joined = `{"summary":[${summary}],"stats":[${stats}],"id":1}`;
  const out: Record<string, string> = { summary, stats, estats: stats, 'summary+stats': joined };
  // The extra command each firmware is asked for when its summary+stats lack a field (collectors/cgminer.ts).
  if (variant === 'luxos') out.power = luxPower(s, when_s);
  if (variant === 'braiins') out.devs = boardDevs(s, when_s, 'BOSer boser-buildroot 0.1.0-0ce150e9');
  return out;
}

/**
 * A joined request (`summary+devs`) as cgminer's API answers it (API-README, "multiple report commands"):
 * one object keyed by command, each holding that command's whole reply. Refused as a whole (undefined, so
 * the caller answers Invalid command) when any part is not a command this firmware has, which is why
 * btminer refuses `summary+stats` (it has no `stats`) yet takes `summary+devs` (pyasic's btminer client
 * joins its cgminer commands the same way, leaving out only `get_*` and `status`).
 */
export function joinedReply(replies: Record<string, string>, command: string): string | undefined {
  const parts = command.split('+');
  if (parts.length < 2) return undefined;
  const bodies = parts.map((p) => replies[p]);
  if (bodies.some((b) => b === undefined || /"STATUS":"E"/u.test(b))) return undefined;
  return `{${parts.map((p, i) => `"${p}":[${bodies[i]}]`).join(',')},"id":1}`;
}

/** The command a client sent: `{"command":"x"}` JSON or plain text; undefined while incomplete. */
function parseCommand(buf: string): string | undefined {
  const t = buf.trim();
  if (!t.startsWith('{')) return t === '' ? undefined : t.split(/[|\s]/u)[0];
  try {
    const v = JSON.parse(t) as { command?: unknown };
    return typeof v.command === 'string' ? v.command : '';
  } catch {
    return undefined;
  }
}

function startOne(
  host: string,
  port: number,
  answer: (command: string) => string,
  onServed: () => void,
): Promise<{ server: net.Server; port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const waiting: net.Socket[] = [];
  let busy = false;
  const next = (): void => {
    busy = false;
    while (waiting.length) {
      const s = waiting.shift()!;
      if (s.destroyed) continue;
      serve(s);
      return;
    }
  };
  const serve = (socket: net.Socket): void => {
    busy = true;
    let buf = '';
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      next();
    };
    socket.once('close', finish);
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      const cmd = parseCommand(buf);
      if (cmd === undefined) return;
      socket.off('data', onData);
      onServed();
      socket.end(answer(cmd) + '\0');
    };
    socket.on('data', onData);
    socket.resume();
  };
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (busy) waiting.push(socket);
    else serve(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: 64 }, () => {
      server.off('error', reject);
      resolve({ server, port: (server.address() as net.AddressInfo).port, sockets });
    });
  });
}

export async function startEmulatedMiners(opts: EmulatedMinersOptions): Promise<EmulatedMiners> {
  const host = opts.host ?? '127.0.0.1';
  const variant = opts.variant ?? 'bmminer';
  const clock = opts.clock ?? Date.now;
  let served = 0;
  const started: { server: net.Server; port: number; sockets: Set<net.Socket> }[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map(({ server, sockets }) => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    })));
  };
  try {
    // Sequential in batches: thousands of listen() calls at once would only contend for the same loop.
    const BATCH = 256;
    for (let i0 = 0; i0 < opts.count; i0 += BATCH) {
      const batch: Promise<(typeof started)[number]>[] = [];
      for (let i = i0; i < Math.min(opts.count, i0 + BATCH); i++) {
        const index = i;
        const answer = (command: string): string => {
          const t = clock();
          const replies = minerReplies(variant, opts.model, emulatedMinerState(opts.model, index, t), Math.floor(t / 1000));
          return replies[command] ?? joinedReply(replies, command) ?? INVALID(Math.floor(t / 1000));
        };
        batch.push(startOne(host, opts.basePort === 0 ? 0 : opts.basePort + i, answer, () => served++));
      }
      const results = await Promise.allSettled(batch);
      for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { ports: started.map((s) => s.port), served: () => served, stop: stopAll };
}

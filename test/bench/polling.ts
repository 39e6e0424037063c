// Polling bench: the real scheduler and cgminer client against N emulated miners on loopback.
// The emulated miners run in a child process (this same file, started with --emulator-child), so the CPU
// share measured here with process.cpuUsage is the collector side's alone, as on a real site where the
// miners are other machines.
//
// "On time": a poll that starts within ON_TIME_MS of its due time. The scheduler keeps a fixed cadence of
// due times, so lateness does not accumulate; the first poll of each miner is due at a random point of
// the first interval (jittered start).

import { fork, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startScheduler } from '../../server/collectors/scheduler.js';
import type { DeviceModel } from '../../server/core/types.js';
import { startEmulatedMiners } from '../../server/emulate/miners.js';
import { collectorSettings } from '../helpers/collectors.js';

const ON_TIME_MS = 1000;
const S21 = { name: 'Antminer S21', nominal_ths: 200, nominal_power_w: 3500, max_temp_c: 95 };

export interface PollingBenchOptions {
  miners: number;
  interval_s: number;
  duration_s: number;
  /** concurrent polls (default: the cgminer collector default, 256) */
  concurrency?: number;
  timeout_ms?: number;
}

export interface PollingBenchResult {
  polls_per_s: number;
  /** polls that started within ON_TIME_MS of their due time ÷ all polls */
  on_time_ratio: number;
  max_start_lag_ms: number;
  /** CPU time of this (collector) process ÷ wall time: 1.0 = one core fully busy */
  cpu_share: number;
  polls: number;
  failures: number;
  /** polls expected in the window: miners × duration ÷ interval */
  expected_polls: number;
  event_loop_p99_ms: number;
  reasons: Record<string, number>;
}

function startChild(miners: number): Promise<{ child: ChildProcess; ports: number[] }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--emulator-child', String(miners)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${code}`)));
    child.once('message', (m) => {
      const msg = m as { ports?: number[]; error?: string };
      if (msg.error) reject(new Error(msg.error));
      else resolve({ child, ports: msg.ports ?? [] });
    });
  });
}

export async function benchPolling(opts: PollingBenchOptions): Promise<PollingBenchResult> {
  const { child, ports } = await startChild(opts.miners);
  try {
    const devices: DeviceModel[] = ports.map((port, i) => ({
      id: `M-${i}`, kind: 'asic', model: 'antminer-s21', address: `127.0.0.1:${port}`, collector: 'cgminer',
      nominal_ths: S21.nominal_ths, nominal_power_w: S21.nominal_power_w,
    }));
    const s = { interval_s: opts.interval_s, timeout_ms: opts.timeout_ms ?? 3000, concurrency: opts.concurrency ?? 256 };
    let polls = 0;
    let onTime = 0;
    let maxLag = 0;
    let failures = 0;
    const reasons: Record<string, number> = {};
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const sched = startScheduler({
      devices, catalogue: new Map(), settings: collectorSettings(s),
      sink: {
        accept: () => undefined,
        deviceError: (_d, reason) => {
          failures++;
          reasons[reason] = (reasons[reason] ?? 0) + 1;
        },
      },
      onPollStart: (_c, lag) => {
        polls++;
        if (lag <= ON_TIME_MS) onTime++;
        if (lag > maxLag) maxLag = lag;
      },
    });
    await new Promise((r) => setTimeout(r, opts.duration_s * 1000));
    const wall_ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    await sched.stop();
    return {
      polls_per_s: Math.round((polls / (wall_ms / 1000)) * 10) / 10,
      on_time_ratio: polls ? onTime / polls : 0,
      max_start_lag_ms: Math.round(maxLag),
      cpu_share: Math.round(((cpu.user + cpu.system) / 1000 / wall_ms) * 1000) / 1000,
      polls,
      failures,
      expected_polls: Math.round((opts.miners * opts.duration_s) / opts.interval_s),
      event_loop_p99_ms: Math.round(loop.percentile(99) / 1e4) / 100,
      reasons,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

// Child mode: serve the emulated miners until the parent goes away.
if (process.argv[2] === '--emulator-child') {
  const count = Number(process.argv[3]);
  startEmulatedMiners({ count, basePort: 0, model: S21, variant: 'bmminer' })
    .then((em) => {
      process.send?.({ ports: em.ports });
      const bye = (): void => void em.stop().then(() => process.exit(0));
      process.on('SIGTERM', bye);
      process.on('disconnect', bye);
    })
    .catch((err: unknown) => {
      process.send?.({ error: (err as Error).message });
      process.exit(1);
    });
}

// CPU time and memory of a process tree member, read from /proc (Linux): the server runs in a child
// so that what it costs is its own, not the load generator's.

import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second for /proc/<pid>/stat times (USER_HZ is 100 on every Linux ABI Node supports). */
const CLK_TCK = 100;

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLK_TCK;
}

function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export interface PhaseUsage {
  wall_s: number;
  cpu_s: number;
  /** CPU seconds per wall second: 1.0 is one core busy all the time */
  cpu_cores: number;
  /** highest resident set seen during the phase (sampled every 100 ms) */
  peak_rss_mb: number;
  /** the kernel's high-water mark of the whole process life so far */
  hwm_rss_mb: number;
}

/** Watches a process from now until stop(): CPU share and the peak RSS seen on the way. */
export function watchProcess(pid: number): { stop(): PhaseUsage } {
  const t0 = performance.now();
  const cpu0 = cpuSeconds(pid);
  let peakKb = statusKb(pid, 'VmRSS');
  const timer = setInterval(() => {
    try {
      peakKb = Math.max(peakKb, statusKb(pid, 'VmRSS'));
    } catch {
      /* exited: stop() reports what was seen */
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      const wall_s = (performance.now() - t0) / 1000;
      let cpu_s = 0;
      let hwm = 0;
      try {
        cpu_s = cpuSeconds(pid) - cpu0;
        peakKb = Math.max(peakKb, statusKb(pid, 'VmRSS'));
        hwm = statusKb(pid, 'VmHWM');
      } catch {
        /* exited */
      }
      return { wall_s, cpu_s, cpu_cores: cpu_s / wall_s, peak_rss_mb: peakKb / 1024, hwm_rss_mb: hwm / 1024 };
    },
  };
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

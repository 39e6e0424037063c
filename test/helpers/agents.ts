import { expect } from 'vitest';
import { runNvidiaSmiAgent, type NvidiaSmiAgent, type SmiSource } from '../../server/agent/nvidia-smi.js';
import type { DeviceStatus } from '../../server/core/types.js';
import { TOKEN } from './site.js';

/**
 * Runs one real nvidia-smi agent per capture (its fake nvidia-smi prints `output`) against a real
 * server, and waits for each node's gpu0 to show a reading in the device API. Returns what the API
 * says of each node's gpu0 and everything the agents logged (a failed push, a rejected value).
 */
export async function pushThroughAgents(
  serverUrl: string, captures: readonly { node: string; output: string; source?: SmiSource }[],
): Promise<{ statuses: Map<string, DeviceStatus>; logs: string[] }> {
  const logs: string[] = [];
  const agents: NvidiaSmiAgent[] = captures.map((c) =>
    // one tick each: the first runs at once, the next would be an hour later
    runNvidiaSmiAgent({
      url: `${serverUrl}/api/v1/ingest`, token: TOKEN, interval_s: 3600, node: c.node, source: c.source,
      exec: async () => c.output, log: (l) => logs.push(`${c.node}: ${l}`),
    }));
  const statuses = new Map<string, DeviceStatus>();
  try {
    // A push is answered only once committed and applied, so the API shows it as soon as the agent is
    // done; the agent says nothing when it is, so wait on what the API shows.
    const end = Date.now() + 5000;
    while (statuses.size < captures.length && Date.now() < end) {
      for (const c of captures) {
        if (statuses.has(c.node)) continue;
        const res = await fetch(`${serverUrl}/api/v1/devices/${encodeURIComponent(`${c.node}/gpu0`)}`);
        expect(res.status).toBe(200);
        const status = (await res.json()) as DeviceStatus;
        if (status.last_seen !== null) statuses.set(c.node, status);
      }
      if (statuses.size < captures.length) await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
  }
  return { statuses, logs };
}

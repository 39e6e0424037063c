import { expect } from 'vitest';
import { runNvidiaSmiAgent, type NvidiaSmiAgent, type SmiSource } from '../../server/agent/nvidia-smi.js';
import type { DeviceStatus } from '../../server/core/types.js';
import { join } from 'node:path';
import { startServer } from '../../server/server.js';
import { smallSite, tempDir, TOKEN } from './site.js';

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

/** A one-rack site of single-GPU nodes, one per capture, for the agent → server capture tests. */
export function gpuNodesSiteYaml(name: string, nodes: readonly { node: string; model?: string }[]): string {
  return `
site: { name: ${name} }
halls:
  - id: G
    name: AI
    racks:
      - id: G-01
        row: 1
        col: 1
        rated_kw: 20
        devices:
${nodes.map((c) => `          - { id: ${c.node}, kind: gpu_node, ${c.model ? `model: ${c.model}, ` : ''}gpus: 1 }`).join('\n')}
auth:
  ingest_tokens:
    - { name: test, token: ${TOKEN} }
`;
}

export interface CaptureServer {
  url: string;
  /** closes the server and removes its database */
  close(): Promise<void>;
}

/** A real server for the site, SQLite in a temp dir, no collectors: only the agents write. */
export async function startCaptureServer(yaml: string): Promise<CaptureServer> {
  const tmp = tempDir();
  const server = await startServer({ model: smallSite(yaml), dbPath: join(tmp.dir, 'fw.db'), port: 0, host: '127.0.0.1', collectors: false, log: () => {} });
  return {
    url: server.url,
    async close() {
      await server.close();
      tmp.cleanup();
    },
  };
}

// `node dist/test/bench/ingest.js [--devices N] [--seconds S] [--clients C] [--batch B]`: only the ingest
// phases of `npm run bench` (raw insert baseline, then HTTP ingest into a server child), for measuring a
// change to the write path without the latency, /metrics, polling and history phases.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fillSite, httpIngest, rawInsert, startServerChild } from './scale.js';
import { benchSite } from './site.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { devices: { type: 'string', default: '20000' }, seconds: { type: 'string', default: '8' }, clients: { type: 'string', default: '4' }, batch: { type: 'string', default: '500' } },
    strict: true,
  });
  const devices = Number(values.devices);
  const seconds = Number(values.seconds);
  const clients = Number(values.clients);
  const batch = Number(values.batch);
  const dir = mkdtempSync(join(tmpdir(), 'floorwatch-bench-ingest-'));
  try {
    const model = benchSite({ devices });
    const raw = rawInsert(model, join(dir, 'raw.db'), { duration_s: Math.max(1, seconds / 2), batch });
    const dbPath = join(dir, 'site.db');
    const server = await startServerChild({ devices }, dbPath);
    try {
      await fillSite(server, model, batch);
      const h = await httpIngest(server, model, dbPath, { duration_s: seconds, clients, batch });
      console.log(JSON.stringify({
        devices, raw_samples_per_s: Math.round(raw.samples_per_s), http_samples_per_s: Math.round(h.samples_per_s),
        ratio_to_raw: Number((h.samples_per_s / raw.samples_per_s).toFixed(3)), readings: h.readings, committed_rows: h.committed_rows,
        errors: h.errors, clients, batch, server_cpu_cores: h.server.cpu_cores, server_peak_rss_mb: h.server.peak_rss_mb,
      }));
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});

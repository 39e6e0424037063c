// The server under benchmark, in its own process so that its CPU time and peak RSS are its own
// (read from /proc by the parent). Started by scale.ts with fork(); speaks over the IPC channel:
//   parent -> child: nothing (the config comes in argv); child -> parent: {port} once listening.
// It stops when the parent disconnects (or dies), so a crashed bench leaves no server behind.

import { startServer } from '../../server/server.js';
import { benchSite, type BenchSiteOptions } from './site.js';

async function main(): Promise<void> {
  const [optsJson, dbPath] = process.argv.slice(2);
  const site = JSON.parse(optsJson) as BenchSiteOptions & { tick_ms?: number; port?: number; ingest_threads?: number };
  const model = benchSite(site);
  const server = await startServer({
    model, dbPath, port: site.port ?? 0, host: '127.0.0.1', tickMs: site.tick_ms ?? 1000, collectors: false, ingestThreads: site.ingest_threads,
    // pino JSON lines: the request log (level 30) would be thousands of lines; warnings and errors show.
    log: (line) => {
      // /readyz answers 503 while the restart phase's server restores, and the bench asks every 20 ms.
      if (!/"level":(10|20|30),/.test(line) && !line.includes('"path":"/readyz"')) process.stderr.write(`bench server: ${line}\n`);
    },
  });
  let closing = false;
  const close = () => {
    if (closing) return;
    closing = true;
    void server.close().finally(() => process.exit(0));
  };
  process.on('disconnect', close);
  process.on('SIGTERM', close);
  process.send?.({ port: server.port, devices: model.devices.size });
}

main().catch((e: unknown) => {
  process.stderr.write(`bench server: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});

#!/usr/bin/env node
// floorwatch serve | check-config | agent nvidia-smi | emulate  (docs/ARCHITECTURE.md §5 "Commands")
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { loadConfigFile, checkConfigCommand, ConfigError, DEMO_CONFIG_PATH } from './config/load.js';
import { startServer } from './server.js';
import { createSimulator } from './sim/simulator.js';
import { runAgentCommand } from './agent/nvidia-smi.js';
import { runEmulateCommand } from './emulate/index.js';

const USAGE = `usage:
  floorwatch serve [--config FILE] [--port N] [--host H] [--db PATH] [--init-db]
      without --config: the built-in simulated demo site (what \`npm start\` runs)
      --db PATH that does not exist is created; --init-db also starts a new database in a 0-byte file
  floorwatch check-config FILE
  floorwatch agent nvidia-smi --url URL --token T [--interval 5] [--node ID]
  floorwatch emulate [--miners N] [--base-port P] [--model M] [--dcgm-port P] [--gpus N]`;

function fail(msg: string): never {
  console.error(`floorwatch: ${msg}\n${USAGE}`);
  process.exit(2);
}

function intOption(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) fail(`--${name}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, db: { type: 'string' }, 'init-db': { type: 'boolean', default: false } },
    strict: true,
  });
  const demo = values.config === undefined;
  let model;
  try {
    model = loadConfigFile(demo ? DEMO_CONFIG_PATH : resolve(values.config!));
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const line of e.errors) console.error(line);
      process.exit(1);
    }
    throw e;
  }
  const port = intOption(values.port ?? (process.env.PORT || undefined), 'port', 8080);
  const dbPath = resolve(values.db ?? (demo ? 'data/demo.db' : 'data/floorwatch.db'));
  // The demo's readings all come from the simulator (its probes too): nothing there is polled for real.
  const server = await startServer({ model, dbPath, port, host: values.host, initDb: values['init-db'], collectors: !demo });
  const devices = model.devices.size;
  console.log(`floorwatch: ${demo ? 'demo site' : 'site'} "${model.name}", ${model.halls.length} halls, ${devices} devices; db ${dbPath}`);
  console.log(`floorwatch: dashboard ${server.url}/  ingest ${server.url}/api/v1/ingest  metrics ${server.url}/metrics`);
  const sim = demo
    ? createSimulator({
      model, submit: (raws) => server.pipeline.submit(raws), onError: (err) => console.error(`simulator: ${err.message}`),
      // the miners follow the events the server tracks (the demo's recurring window, and any posted one)
      curtailments: () => server.curtailments.wall().map((v) => ({ id: v.id, scope: v.scope, target_w: v.figures.target_w, active: v.figures.phase === 'active' })),
    })
    : undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`floorwatch: ${signal}: draining and closing`);
    sim?.stop();
    await server.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'serve':
      return serve(rest);
    case undefined:
      return serve([]);
    case 'check-config': {
      if (rest.length !== 1) fail('check-config takes exactly one FILE');
      process.exit(checkConfigCommand(resolve(rest[0]), (line) => console.log(line)));
      break;
    }
    case 'agent':
      return runAgentCommand(rest);
    case 'emulate':
      return runEmulateCommand(rest);
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return;
    default:
      fail(`unknown command ${JSON.stringify(cmd)}`);
  }
}

main().catch((e: unknown) => {
  console.error(`floorwatch: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});

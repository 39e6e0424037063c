// `floorwatch emulate`: N emulated miners on consecutive loopback ports and, optionally, one emulated
// dcgm-exporter, until SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { CATALOGUE } from '../core/catalogue.js';
import { MINER_VARIANTS, startEmulatedMiners, type EmulatedMinerModel, type MinerVariant } from './miners.js';
import { startEmulatedDcgm } from './dcgm.js';

export { startEmulatedMiners, emulatedMinerState, minerReplies, MINER_VARIANTS } from './miners.js';
export type { MinerVariant, EmulatedMinerModel, EmulatedMiners, EmulatedMinersOptions, MinerState } from './miners.js';
export { startEmulatedDcgm, emulatedGpuState, dcgmExporterText, emulatedGpuUuid } from './dcgm.js';
export type { EmulatedDcgm, EmulatedDcgmOptions, GpuState } from './dcgm.js';

export const EMULATE_USAGE =
  'floorwatch emulate [--miners N] [--base-port P] [--model KEY] [--variant bmminer|btminer|avalon|braiins|luxos]\n' +
  '                   [--dcgm-port P] [--gpus N] [--gpu-model "H100 80GB HBM3"] [--hostname H] [--host 127.0.0.1]';

/** The firmware a catalogue model ships with, unless --variant says otherwise. */
function defaultVariant(key: string): MinerVariant {
  if (key.startsWith('whatsminer')) return 'btminer';
  if (key.startsWith('avalon')) return 'avalon';
  return 'bmminer';
}

function intFlag(v: string | undefined, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** Parses the flags, starts the emulators, prints where they listen, and stops them on SIGINT/SIGTERM. */
export async function runEmulateCommand(argv: string[], log: (line: string) => void = console.log): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      miners: { type: 'string' }, 'base-port': { type: 'string' }, model: { type: 'string' }, variant: { type: 'string' },
      'dcgm-port': { type: 'string' }, gpus: { type: 'string' }, 'gpu-model': { type: 'string' }, hostname: { type: 'string' },
      host: { type: 'string' },
    },
    strict: true,
  });
  const host = values.host ?? '127.0.0.1';
  const miners = intFlag(values.miners, 'miners', 10, 0, 60_000);
  const basePort = intFlag(values['base-port'], 'base-port', 14028, 1, 65_535);
  if (miners > 0 && basePort + miners - 1 > 65_535) throw new Error(`--base-port ${basePort} + --miners ${miners} runs past port 65535`);
  const key = values.model ?? 'antminer-s21';
  const cat = CATALOGUE.find((m) => m.key === key);
  if (!cat || cat.kind !== 'asic' || cat.nominal_ths === undefined) {
    const keys = CATALOGUE.filter((m) => m.kind === 'asic').map((m) => m.key).join(', ');
    throw new Error(`--model: ${JSON.stringify(key)} is not an ASIC in the catalogue (${keys})`);
  }
  const variant = (values.variant ?? defaultVariant(key)) as MinerVariant;
  if (!MINER_VARIANTS.includes(variant)) throw new Error(`--variant: expected one of ${MINER_VARIANTS.join(', ')}`);
  const gpus = intFlag(values.gpus, 'gpus', 8, 1, 1024);
  const dcgmPort = values['dcgm-port'] === undefined ? undefined : intFlag(values['dcgm-port'], 'dcgm-port', 9400, 1, 65_535);

  const model: EmulatedMinerModel = { name: cat.name, nominal_ths: cat.nominal_ths, nominal_power_w: cat.nominal_power_w, max_temp_c: cat.max_temp_c };
  const em = miners > 0 ? await startEmulatedMiners({ count: miners, basePort, host, model, variant }) : undefined;
  if (em) log(`emulate: ${miners} × ${cat.name} (${variant}) on ${host}:${basePort}-${basePort + miners - 1} (cgminer API)`);
  let dcgm;
  try {
    dcgm = dcgmPort === undefined ? undefined : await startEmulatedDcgm({
      port: dcgmPort, host, gpus, model: values['gpu-model'] ?? 'H100 80GB HBM3', hostname: values.hostname ?? 'gpu-node-1',
    });
  } catch (err) {
    await em?.stop();
    throw err;
  }
  if (dcgm) log(`emulate: dcgm-exporter with ${gpus} GPUs at ${dcgm.url}`);
  if (!em && !dcgm) log('emulate: nothing to emulate (--miners 0 and no --dcgm-port)');

  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log(`emulate: ${signal}: stopping`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      void Promise.all([em?.stop(), dcgm?.stop()]).then(() => resolve());
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

// The I/O edge of configuration: YAML text or a file in, a validated SiteModel (or every error) out.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { DeviceKind, SiteModel } from '../core/types.js';
import { DEVICE_KINDS } from '../core/types.js';
import { buildSiteModel } from './validate.js';

export interface ParseOptions {
  /** where FLOORWATCH_INGEST_TOKEN is read from; process.env when absent */
  env?: NodeJS.ProcessEnv;
}

export type ParseResult = { ok: true; model: SiteModel } | { ok: false; errors: string[] };

export class ConfigError extends Error {
  readonly errors: string[];
  constructor(source: string, errors: string[]) {
    super(`${source}: invalid configuration (${errors.length} error${errors.length === 1 ? '' : 's'}):\n  ${errors.join('\n  ')}`);
    this.name = 'ConfigError';
    this.errors = errors;
  }
}

/** Parses and validates YAML config text. Never throws: a YAML syntax error is reported like any other. */
export function parseConfig(yamlText: string, opts: ParseOptions = {}): ParseResult {
  // Aliases are capped so a "billion laughs" document cannot blow up memory at load.
  const doc = parseDocument(yamlText, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => `yaml: ${firstLine(e.message)}`) };
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return { ok: false, errors: [`yaml: ${firstLine(e instanceof Error ? e.message : String(e))}`] };
  }
  return buildSiteModel(root ?? {}, opts.env ?? process.env);
}

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return nl === -1 ? text : text.slice(0, nl);
}

/** Reads and validates a config file; throws ConfigError carrying every error line. */
export function loadConfigFile(path: string, opts: ParseOptions = {}): SiteModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ConfigError(path, [`cannot read ${path}: ${reason}`]);
  }
  const result = parseConfig(text, opts);
  if (!result.ok) throw new ConfigError(path, result.errors);
  return result.model;
}

/** Device counts by kind, in the fixed order of DEVICE_KINDS. */
export function countDevicesByKind(model: SiteModel): Record<DeviceKind, number> {
  const counts = Object.fromEntries(DEVICE_KINDS.map((k) => [k, 0])) as Record<DeviceKind, number>;
  for (const d of model.devices.values()) counts[d.kind]++;
  return counts;
}

/** One line: what a config describes, for `check-config` and the server's startup log. */
export function summarizeSite(model: SiteModel): string {
  const racks = model.halls.reduce((n, h) => n + h.racks.length, 0);
  const counts = countDevicesByKind(model);
  const kinds = DEVICE_KINDS.filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`).join(', ');
  return `site "${model.name}": ${model.halls.length} hall${model.halls.length === 1 ? '' : 's'}, ` +
    `${racks} rack${racks === 1 ? '' : 's'}, ${model.devices.size} devices (${kinds || 'none'})`;
}

/** `floorwatch check-config FILE`: 0 and a summary line, or 1 and every error line. */
export function checkConfigCommand(path: string, out: (line: string) => void, opts: ParseOptions = {}): number {
  try {
    const model = loadConfigFile(path, opts);
    out(`ok: ${path}: ${summarizeSite(model)}`);
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.errors) out(line);
    out(`${path}: ${e.errors.length} error${e.errors.length === 1 ? '' : 's'}`);
    return 1;
  }
}

/**
 * The package root: the nearest folder above this module holding package.json. Walking up (rather than a
 * fixed '../..') keeps it right both for server/config/*.ts under vitest and dist/server/config/*.js.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    dir = up;
  }
}

export const PACKAGE_ROOT = packageRoot();
/** The built-in demo site the simulator runs (`npm start`, `serve` without --config). */
export const DEMO_CONFIG_PATH = join(PACKAGE_ROOT, 'examples', 'demo-site.yaml');

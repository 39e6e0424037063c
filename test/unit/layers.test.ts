// The layers of server/ (docs/ARCHITECTURE.md §8), and the sizes issue 12 set: each folder imports only from folders of a lower layer
// (or from itself), so the foundation never depends on what stands on it and there is no cycle between
// folders. The wall (client/) takes from the server only the vocabulary and the shared bands.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SERVER = join(ROOT, 'server');

/** Layer of each folder of server/ (a top-level file counts as a folder of its own name). Lower = more basic. */
const LAYERS: Record<string, number> = {
  core: 0, log: 0,
  figures: 1,
  alerts: 2, store: 2, collectors: 2, sim: 2, emulate: 2,
  agent: 3, live: 3,
  ingest: 4, realtime: 4, exposition: 4, notify: 4, remote: 4,
  http: 5, lifecycle: 5,
  config: 6,
  app: 7,
  server: 8,
  cli: 9,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative module specifiers a file imports (static, type-only and dynamic). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) out.push(m[1] ?? m[2]);
  return out;
}

function folderOf(file: string): string {
  const rel = relative(SERVER, file);
  const first = rel.split(/[\\/]/)[0];
  return first.endsWith('.ts') ? first.slice(0, -3) : first;
}

describe('layers', () => {
  it('every folder of server/ has a layer', () => {
    const folders = new Set(files(SERVER).map(folderOf));
    expect([...folders].filter((f) => LAYERS[f] === undefined)).toEqual([]);
  });

  it('no import goes from a lower layer to a higher one, or sideways between folders', () => {
    const bad: string[] = [];
    for (const f of files(SERVER)) {
      const from = folderOf(f);
      for (const spec of imports(f)) {
        const target = resolve(dirname(f), spec.replace(/\.js$/, '.ts'));
        if (!target.startsWith(SERVER)) continue;
        const to = folderOf(target);
        if (to !== from && !(LAYERS[to] < LAYERS[from])) bad.push(`${relative(ROOT, f)} (${from}, layer ${LAYERS[from]}) imports ${spec} (${to}, layer ${LAYERS[to]})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the client imports from the server only the vocabulary and the shared bands', () => {
    const allowed = new Set(['server/core/types.ts', 'server/figures/bands.ts']);
    const bad: string[] = [];
    for (const f of files(join(ROOT, 'client', 'src'))) {
      for (const spec of imports(f)) {
        const target = relative(ROOT, resolve(dirname(f), spec.replace(/\.js$/, '.ts')));
        if (target.startsWith('server/') && !allowed.has(target)) bad.push(`${relative(ROOT, f)} imports ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the detector sees imports: this file would be caught importing upward', () => {
    expect(imports(join(SERVER, 'server.ts')).some((s) => s.startsWith('./store/'))).toBe(true);
    expect(imports(join(SERVER, 'cli.ts'))).toContain('./server.js');
  });

  it('no file of server/ is over 500 lines, and startServer is wiring only (under 100 lines)', () => {
    const long = files(SERVER).map((f) => [relative(ROOT, f), readFileSync(f, 'utf8').split('\n').length - 1] as const).filter(([, n]) => n > 500);
    expect(long).toEqual([]);
    const lines = readFileSync(join(SERVER, 'server.ts'), 'utf8').split('\n');
    const start = lines.findIndex((l) => l.startsWith('export async function startServer'));
    const end = lines.findIndex((l, i) => i > start && l === '}');
    expect(start).toBeGreaterThan(0);
    expect(end - start + 1).toBeLessThan(100);
  });
});

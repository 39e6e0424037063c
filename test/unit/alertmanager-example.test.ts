// examples/alertmanager/alertmanager.yml: clean under Alertmanager's own checker, and every alert name it
// routes or inhibits on is one Floorwatch raises.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { defaultRules } from '../../server/alerts/builtin.js';

const FILE = join(resolve(import.meta.dirname, '..', '..'), 'examples', 'alertmanager', 'alertmanager.yml');

describe('examples/alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config', () => {
    const r = spawnSync('amtool', ['check-config', FILE], { encoding: 'utf8' });
    if (r.error) throw r.error;
    console.log(r.stdout.trim());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  it('names only alerts Floorwatch raises, and routes critical to the pager, warnings by hall to chat', () => {
    const text = readFileSync(FILE, 'utf8');
    const names = new Set(defaultRules().map((r) => r.name));
    const used = [...text.matchAll(/^[^#\n]*alertname="([A-Za-z0-9_]+)"/gm)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((n) => !names.has(n))).toEqual([]);
    const cfg = parse(text) as {
      route: { routes: { matchers: string[]; receiver: string; group_by: string[] }[] };
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    expect(cfg.route.routes.find((r) => r.matchers.includes('severity="critical"'))?.receiver).toBe('pager');
    expect(cfg.route.routes.find((r) => r.matchers.includes('severity="warning"'))).toMatchObject({ receiver: 'chat', group_by: ['site', 'hall'] });
    expect(cfg.inhibit_rules).toContainEqual({ source_matchers: ['alertname="RackInletHot"'], target_matchers: ['alertname="RackInletWarm"'], equal: ['site', 'rack'] });
  });
});

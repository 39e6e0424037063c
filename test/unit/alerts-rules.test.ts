// Config rules: parsing with errors by path, durations, merging over the built-ins, and evaluation of what parses.
import { describe, expect, it } from 'vitest';
import { createAlertEngine } from '../../server/alerts/engine.js';
import { defaultRules } from '../../server/alerts/builtin.js';
import { mergeRules, parseAlertRules, parseDurationMs, readFigure } from '../../server/alerts/rules.js';
import { figures, gpu, hall, MIN, rack, siteModel } from './alerts-fixture.js';

const T0 = 1_764_000_000_000;

describe('parseAlertRules', () => {
  it('parses a full rule and fills defaults', () => {
    const { rules, errors } = parseAlertRules([
      { name: 'GpuHot', severity: 'critical', scope: 'device', kind: 'gpu', metric: 'temp_c', op: '>=', threshold: 80,
        clear: 75, for: '90s', summary: '{id} at {value} °C' },
      { name: 'HallDown', scope: 'hall', metric: 'devices_down', op: '>', threshold: 5 },
    ]);
    expect(errors).toEqual([]);
    expect(rules[0]).toMatchObject({ name: 'GpuHot', severity: 'critical', scope: 'device', kind: 'gpu', op: '>=',
      threshold: 80, clear: 75, for_ms: 90_000, summary: '{id} at {value} °C' });
    expect(rules[1]).toMatchObject({ severity: 'warning', clear: 5, for_ms: 0, summary: 'hall {id} devices_down {value} > {threshold}' });
  });

  it('reports every error by its path and leaves bad rules out', () => {
    const { rules, errors } = parseAlertRules([
      { name: 'Ok', scope: 'rack', metric: 'inlet_temp_c', op: '>', threshold: 27 },
      'not a rule',
      { name: 'Bad', scope: 'rack', metric: 'inlet_temp_c', op: '>', threshold: '27', for: '10 minutes', colour: 'red' },
      { name: 'bad name!', severity: 'page', scope: 'room', metric: 'x', op: '=>', threshold: 1 },
      { name: 'Kinds', scope: 'device', kind: 'asic', metric: 'temp_c', op: '<', threshold: 10, clear: 5 },
      { name: 'Ok', scope: 'rack', kind: 'gpu', metric: 'humidity', op: '>', threshold: 1, clear: 2 },
    ], 'alerts.rules');
    expect(rules.map((r) => r.name)).toEqual(['Ok']);
    expect(errors).toEqual([
      'alerts.rules[1]: expected a mapping',
      'alerts.rules[2].colour: unknown key',
      'alerts.rules[2].threshold: expected a number',
      "alerts.rules[2].for: expected a duration like '10m', '30s', '2h' or a number of seconds",
      'alerts.rules[3].name: expected a name of letters, digits and _',
      'alerts.rules[3].severity: expected one of info, warning, critical',
      'alerts.rules[3].scope: expected one of device, rack, hall, site, loop',
      'alerts.rules[3].op: expected one of > >= < <=',
      'alerts.rules[4].metric: unknown asic metric temp_c',
      'alerts.rules[4].clear: must not be below threshold 10 for <',
      'alerts.rules[5].name: duplicate rule name Ok',
      'alerts.rules[5].kind: only a device rule takes a kind',
      'alerts.rules[5].metric: unknown rack figure humidity',
      'alerts.rules[5].clear: must not be above threshold 1 for >',
    ]);
  });

  it('uses the path it is given', () => {
    expect(parseAlertRules([{}], 'site.alerts').errors[0]).toBe('site.alerts[0].name: expected a name of letters, digits and _');
  });

  it('reads durations', () => {
    expect(parseDurationMs('10m')).toBe(600_000);
    expect(parseDurationMs('1.5h')).toBe(5_400_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs(45)).toBe(45_000);
    expect(parseDurationMs('10')).toBeNull();
    expect(parseDurationMs(-1)).toBeNull();
  });

  it('reads figures: numbers, booleans as 0/1, health counts, null as unknown', () => {
    const r = rack({ id: 'R1', inlet_temp_c: 24.5, feed_failover_ok: false, health: { up: 7, degraded: 2, down: 1 } });
    expect(readFigure(r, 'inlet_temp_c')).toBe(24.5);
    expect(readFigure(r, 'feed_failover_ok')).toBe(0);
    expect(readFigure(r, 'devices_degraded')).toBe(2);
    expect(readFigure(r, 'power_w')).toBeNull();
  });
});

describe('config rules with the built-ins', () => {
  it('a config rule of a built-in name replaces it; others are added', () => {
    const { rules } = parseAlertRules([
      { name: 'RackInletWarm', severity: 'warning', scope: 'rack', metric: 'inlet_temp_c', op: '>', threshold: 25 },
      { name: 'HallManyDown', severity: 'critical', scope: 'hall', metric: 'devices_down', op: '>=', threshold: 3, for: '2m' },
    ]);
    const merged = mergeRules(defaultRules(), rules);
    expect(merged.length).toBe(defaultRules().length + 1);
    expect(merged.find((r) => r.name === 'RackInletWarm')?.threshold).toBe(25);
  });

  it('config rules evaluate: a hall count rule with `for`, a device rule only on its kind', () => {
    const { rules } = parseAlertRules([
      { name: 'HallManyDown', severity: 'critical', scope: 'hall', metric: 'devices_down', op: '>=', threshold: 3, for: '2m' },
      { name: 'GpuHot', scope: 'device', kind: 'gpu', metric: 'temp_c', op: '>', threshold: 80, clear: 75 },
    ]);
    const e = createAlertEngine(rules);
    const model = siteModel();
    const run = (min: number, down: number, temp: number) => e.evaluate({
      now: T0 + min * MIN, model,
      figures: figures({ halls: [hall({ id: 'A', health: { up: 10, degraded: 0, down } })] }),
      // an asic with temp_c set anyway must not meet a gpu rule
      devices: [gpu('n1/gpu0', { temp_c: temp }), { ...gpu('m1', { temp_c: 99 }), kind: 'asic' }],
    }).map((c) => `${c.state} ${c.key}`);
    expect(run(0, 3, 81)).toEqual(['firing GpuHot:device:n1/gpu0', 'pending HallManyDown:hall:A']);
    expect(run(1, 3, 76)).toEqual([]);
    expect(run(2, 4, 75)).toEqual(['resolved GpuHot:device:n1/gpu0', 'firing HallManyDown:hall:A']);
    expect(e.get('HallManyDown:hall:A')?.summary).toBe('hall A devices_down 4 >= 3');
  });
});

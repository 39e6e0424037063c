// Config `curtailment:` (errors by path), the recurring windows' occurrences, and which ids an event curtails.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config/load.js';
import { curtailedIds, occurrenceStarts, parseCurtailmentScope } from '../../server/figures/curtailment.js';
import { SMALL_SITE_YAML, smallSite } from '../helpers/site.js';

const errorsOf = (section: string): string[] => {
  const r = parseConfig(`${SMALL_SITE_YAML}\ncurtailment:\n${section}`, { env: {} });
  return r.ok ? [] : r.errors;
};

describe('config curtailment:', () => {
  it('absent: 15 min baseline, 2 min ramp allowance, 5 min shortfall, no windows', () => {
    expect(smallSite().curtailment).toEqual({ baseline_ms: 900_000, ramp_allowance_ms: 120_000, shortfall_for_ms: 300_000, recurring: [] });
  });

  it('reads the settings and a window', () => {
    const m = smallSite(`${SMALL_SITE_YAML}
curtailment:
  baseline_min: 10
  ramp_allowance_s: 0
  shortfall_for_s: 90
  recurring:
    - { name: 4cp, scope: "hall:M", target_ceiling_kw: 2, every: 24h, at: 21h, duration: 1h, program: ERCOT 4CP }
`);
    expect(m.curtailment).toEqual({
      baseline_ms: 600_000, ramp_allowance_ms: 0, shortfall_for_ms: 90_000,
      recurring: [{ name: '4cp', scope: 'hall:M', target: { ceiling_kw: 2 }, every_ms: 86_400_000, at_ms: 75_600_000, duration_ms: 3_600_000, program: 'ERCOT 4CP' }],
    });
  });

  it('names every bad value by its path', () => {
    expect(errorsOf(`  baseline_min: 0
  ramp_allowance_s: -1
  colour: red
  recurring:
    - { name: a, scope: "hall:NOPE", target_reduction_kw: 5, every: 30m, duration: 5m }
    - { name: b, scope: site, target_reduction_kw: 5, target_ceiling_kw: 1, every: 30m, duration: 45m }
    - { name: c, scope: "rack:M-01", every: soon, duration: 5m }
`)).toEqual([
      'curtailment.colour: unknown key',
      'curtailment.baseline_min: must be greater than 0',
      'curtailment.ramp_allowance_s: expected a number of seconds ≥ 0',
      `curtailment.recurring[0].scope: expected 'site', 'hall:ID' or 'rack:ID' of this site, got "hall:NOPE"`,
      'curtailment.recurring[1]: give target_reduction_kw or target_ceiling_kw, not both',
      'curtailment.recurring[1].duration: must be shorter than every (30m)',
      'curtailment.recurring[2]: needs target_reduction_kw or target_ceiling_kw',
      "curtailment.recurring[2].every: expected a duration such as '30m' or '24h' greater than 0",
    ]);
  });
});

describe('occurrenceStarts', () => {
  const H = 3_600_000;
  const day = Date.UTC(2026, 11, 2);
  it('every 30 min for 5 min: the :00 and :30 starts overlapping the span, the one under way included', () => {
    const w = { every_ms: H / 2, at_ms: 0, duration_ms: H / 12 };
    // 10:02 to 11:00 → the 10:00 one (still on until 10:05) and 10:30; 11:00 starts at the end, not in it
    expect(occurrenceStarts(w, day + 10 * H + 2 * 60_000, day + 11 * H)).toEqual([day + 10 * H, day + 10.5 * H]);
    // 10:05 exactly: the 10:00 one is over
    expect(occurrenceStarts(w, day + 10 * H + 5 * 60_000, day + 10.5 * H)).toEqual([]);
  });
  it('daily at 21:00 UTC', () => {
    expect(occurrenceStarts({ every_ms: 24 * H, at_ms: 21 * H, duration_ms: H }, day, day + 48 * H)).toEqual([day + 21 * H, day + 45 * H]);
  });
});

describe('scopes', () => {
  const model = smallSite();
  it('parses the three kinds and refuses what the site does not have', () => {
    expect(parseCurtailmentScope(model, 'site')).toEqual({ kind: 'site' });
    expect(parseCurtailmentScope(model, 'hall:G')).toEqual({ kind: 'hall', id: 'G' });
    expect(parseCurtailmentScope(model, 'rack:M-01')).toEqual({ kind: 'rack', id: 'M-01' });
    for (const bad of ['hall:X', 'rack:X', 'device:M-01-01', 'M-01', '']) expect(parseCurtailmentScope(model, bad)).toBeNull();
  });
  it('the site curtails every miner and the mining rack, never a GPU or the GPU rack', () => {
    expect([...curtailedIds(model, [{ kind: 'site' }])].sort()).toEqual(['M-01', 'M-01-01', 'M-01-02', 'M-01-03']);
    expect([...curtailedIds(model, [{ kind: 'hall', id: 'G' }])]).toEqual([]);
  });
});

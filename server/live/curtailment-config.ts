// The `curtailment:` section of the config: the baseline window, the ramp allowance and the shortfall
// duration the events are judged by (server/live/curtailments.ts, the CurtailmentShortfall rule), and the
// recurring windows (a programme's daily 4CP hours, the demo's every-30-minutes drill).

import { at, err, field, keySet, readList, readPositive, readString, section, isObj, checkKeys, type Ctx } from '../core/schema.js';
import type { CurtailmentSettings, CurtailmentTarget, CurtailmentWindow } from '../core/types.js';
import { parseDurationMs } from '../alerts/rules.js';

export const CURTAILMENT_DEFAULTS: Readonly<Omit<CurtailmentSettings, 'recurring'>> = {
  baseline_ms: 15 * 60_000,
  // Miners stop in seconds, but a fleet is switched in steps so the load does not drop as one block.
  ramp_allowance_ms: 120_000,
  shortfall_for_ms: 5 * 60_000,
};

const KEYS = keySet('baseline_min', 'ramp_allowance_s', 'shortfall_for_s', 'recurring');
const WINDOW_KEYS = keySet('name', 'scope', 'target_reduction_kw', 'target_ceiling_kw', 'every', 'at', 'duration', 'program');
const SCOPE_RE = /^(site|hall:.+|rack:.+)$/;

function duration(c: Ctx, v: unknown, path: string, min: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = parseDurationMs(v);
  if (ms === null || ms < min) {
    err(c, path, `expected a duration such as '30m' or '24h'${min > 0 ? ' greater than 0' : ''}`);
    return undefined;
  }
  return ms;
}

/**
 * Reads `curtailment:`. `scopeKnown` says whether 'hall:M' / 'rack:M-A01' names a hall or rack of this
 * site (the topology is read first), so a window over a typo is an error by its path, not a silent no-op.
 */
export function readCurtailment(c: Ctx, v: unknown, scopeKnown: (scope: string) => boolean): CurtailmentSettings {
  const none = (): CurtailmentSettings => ({ ...CURTAILMENT_DEFAULTS, recurring: [] });
  return section(c, v, 'curtailment', KEYS, none, (o) => {
    const out = none();
    const baseline = field(c, o, 'baseline_min', 'curtailment', readPositive, false, '');
    if (baseline !== undefined) out.baseline_ms = baseline * 60_000;
    const ramp = o['ramp_allowance_s'];
    if (ramp !== undefined && ramp !== null) {
      if (typeof ramp === 'number' && Number.isFinite(ramp) && ramp >= 0) out.ramp_allowance_ms = ramp * 1000;
      else err(c, 'curtailment.ramp_allowance_s', 'expected a number of seconds ≥ 0');
    }
    const forS = field(c, o, 'shortfall_for_s', 'curtailment', readPositive, false, '');
    if (forS !== undefined) out.shortfall_for_ms = forS * 1000;
    const list = field(c, o, 'recurring', 'curtailment', readList, false, '') ?? [];
    const names = new Set<string>();
    list.forEach((item, i) => {
      const p = `curtailment.recurring[${i}]`;
      if (!isObj(item)) return err(c, p, 'expected a mapping');
      checkKeys(c, item, p, WINDOW_KEYS);
      const name = field(c, item, 'name', p, readString, true, 'expected a name');
      if (name !== undefined) {
        if (names.has(name)) err(c, at(p, 'name'), `duplicate window name ${name}`);
        names.add(name);
      }
      const scope = field(c, item, 'scope', p, readString, true, "expected 'site', 'hall:ID' or 'rack:ID'");
      if (scope !== undefined && (!SCOPE_RE.test(scope) || !scopeKnown(scope))) {
        err(c, at(p, 'scope'), `expected 'site', 'hall:ID' or 'rack:ID' of this site, got ${JSON.stringify(scope)}`);
      }
      const red = field(c, item, 'target_reduction_kw', p, readPositive, false, '');
      const rawCeil = item['target_ceiling_kw'];
      const hasCeil = rawCeil !== undefined && rawCeil !== null;
      let target: CurtailmentTarget | undefined;
      if (red !== undefined && hasCeil) err(c, p, 'give target_reduction_kw or target_ceiling_kw, not both');
      else if (red !== undefined) target = { reduction_kw: red };
      else if (hasCeil) {
        if (typeof rawCeil === 'number' && Number.isFinite(rawCeil) && rawCeil >= 0) target = { ceiling_kw: rawCeil };
        else err(c, at(p, 'target_ceiling_kw'), 'expected a number of kW ≥ 0');
      } else if (item['target_reduction_kw'] === undefined || item['target_reduction_kw'] === null) {
        err(c, p, 'needs target_reduction_kw or target_ceiling_kw');
      }
      const every = duration(c, item['every'], at(p, 'every'), 1);
      if (every === undefined && (item['every'] === undefined || item['every'] === null)) err(c, at(p, 'every'), "expected a duration such as '30m' or '24h'");
      const atMs = duration(c, item['at'], at(p, 'at'), 0) ?? 0;
      const dur = duration(c, item['duration'], at(p, 'duration'), 1);
      if (dur === undefined && (item['duration'] === undefined || item['duration'] === null)) err(c, at(p, 'duration'), "expected a duration such as '5m'");
      if (every !== undefined && dur !== undefined && dur >= every) err(c, at(p, 'duration'), `must be shorter than every (${String(item['every'])})`);
      if (every !== undefined && atMs >= every) err(c, at(p, 'at'), `must be less than every (${String(item['every'])})`);
      const program = field(c, item, 'program', p, readString, false, '') ?? null;
      if (name === undefined || scope === undefined || target === undefined || every === undefined || dur === undefined) return;
      const w: CurtailmentWindow = { name, scope, target, every_ms: every, at_ms: atMs, duration_ms: dur, program };
      out.recurring.push(w);
    });
    return out;
  });
}

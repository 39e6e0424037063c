// The `alerts:` section of the config: the PUE target and the site's own rules, checked by the alert
// engine's own parser so that check-config reports their errors by path too.

import { err, field, keySet, readList, readNumber, section, type Ctx } from '../core/schema.js';
import { parseAlertRules } from './rules.js';

export const PUE_TARGET_DEFAULT = 1.5;

const ALERTS_KEYS = keySet('pue_target', 'rules');

export function readAlerts(c: Ctx, v: unknown): { pue_target: number; rules: unknown[] } {
  const none = (): { pue_target: number; rules: unknown[] } => ({ pue_target: PUE_TARGET_DEFAULT, rules: [] });
  return section(c, v, 'alerts', ALERTS_KEYS, none, (o) => {
    const pue = field(c, o, 'pue_target', 'alerts', readNumber, false, '');
    if (pue !== undefined && pue < 1) err(c, 'alerts.pue_target', 'must be at least 1 (PUE = facility ÷ IT power)');
    // The alert engine's own parser checks the rules, so check-config reports their errors by path too.
    const rules = field(c, o, 'rules', 'alerts', readList, false, '') ?? [];
    for (const e of parseAlertRules(rules, 'alerts.rules').errors) {
      const at = e.indexOf(': ');
      err(c, e.slice(0, at), e.slice(at + 2));
    }
    return { pue_target: pue !== undefined && pue >= 1 ? pue : PUE_TARGET_DEFAULT, rules };
  });
}

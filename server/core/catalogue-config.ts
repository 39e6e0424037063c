// The `models:` section of the config: the site's own catalogue entries, and overrides of the built-in
// ones (server/core/catalogue.ts), layered over a fresh catalogue map.

import { asObject, at, checkKeys, err, errorCount, field, keySet, readEnum, readNumber, readPosInt, readPositive, readString, type Ctx } from './schema.js';
import type { CatalogueModel } from './types.js';

const MODEL_KEYS = keySet('kind', 'name', 'nominal_ths', 'nominal_power_w', 'max_temp_c', 'max_mem_temp_c', 'mem_total_mib');

export function readModels(c: Ctx, v: unknown, catalogue: Map<string, CatalogueModel>): void {
  const o = asObject(c, v, 'models');
  if (o === undefined) return;
  for (const [key, raw] of Object.entries(o)) {
    const p = `models.${key}`;
    const m = asObject(c, raw, p);
    if (m === undefined) continue;
    const before = errorCount(c);
    checkKeys(c, m, p, MODEL_KEYS);
    const base = catalogue.get(key);
    const kind = field(c, m, 'kind', p, readEnum(['asic', 'gpu'] as const), base === undefined, 'expected one of asic, gpu');
    if (base !== undefined && kind !== undefined && kind !== base.kind) {
      err(c, at(p, 'kind'), `catalogue model "${key}" is a ${base.kind}`);
    }
    const effKind = kind ?? base?.kind;
    const name = field(c, m, 'name', p, readString, false, '');
    // Optional even for a new asic model: without it the nominal is the nameplate its firmware states.
    const nominal_ths = field(c, m, 'nominal_ths', p, readPositive, false, '');
    const nominal_power_w = field(c, m, 'nominal_power_w', p, readPositive, base === undefined, 'expected a number');
    const max_temp_c = field(c, m, 'max_temp_c', p, readNumber, base === undefined, 'expected a number');
    const max_mem_temp_c = field(c, m, 'max_mem_temp_c', p, readNumber, false, '');
    const mem_total_mib = field(c, m, 'mem_total_mib', p, readPosInt, false, '');
    if (effKind === 'gpu' && nominal_ths !== undefined) err(c, at(p, 'nominal_ths'), 'only for kind asic');
    if (effKind === 'asic' && max_mem_temp_c !== undefined) err(c, at(p, 'max_mem_temp_c'), 'only for kind gpu');
    if (effKind === 'asic' && mem_total_mib !== undefined) err(c, at(p, 'mem_total_mib'), 'only for kind gpu');
    if (errorCount(c) !== before || effKind === undefined) continue;
    const merged: CatalogueModel = base !== undefined
      ? { ...base }
      : { key, kind: effKind, name: key, nominal_power_w: 0, max_temp_c: 0 };
    if (name !== undefined) merged.name = name;
    if (nominal_ths !== undefined) merged.nominal_ths = nominal_ths;
    if (nominal_power_w !== undefined) merged.nominal_power_w = nominal_power_w;
    if (max_temp_c !== undefined) merged.max_temp_c = max_temp_c;
    if (max_mem_temp_c !== undefined) merged.max_mem_temp_c = max_mem_temp_c;
    if (mem_total_mib !== undefined) merged.mem_total_mib = mem_total_mib;
    catalogue.set(key, merged);
  }
}

// The site's markets (issue 16): each becomes a device of kind `market` whose readings (energy price,
// hashprice, or the BTC price, difficulty and fees it is computed from) arrive by push, the one path in.
// A market serves the site, or one hall (a hall on its own grid node); a hall without its own takes the site's.
// A scope may have several (a grid price feed and a hashprice index, each its own integrator): each price is
// taken from the one of them that reported it last (server/figures/prices.ts).

import { asObject, checkKeys, err, field, keySet, readId, readList, readPositive, readString } from '../core/schema.js';
import type { DeviceModel } from '../core/types.js';
import { addDevice, type SiteCtx, type SiteIndex } from './topology.js';

const MARKET_KEYS = keySet('id', 'scope', 'stale_after_s');
/**
 * A market's price is current for this long by default: 15 min, the settlement interval of real-time
 * energy markets (ERCOT since 2018 and the EU since 2025 settle on 15 min; ERCOT's SCED runs every 5).
 */
export const MARKET_STALE_AFTER_S_DEFAULT = 900;

export function readMarkets(c: SiteCtx, v: unknown, reg: SiteIndex, hallWhere: ReadonlyMap<string, string>): void {
  if (v === undefined || v === null) return;
  const list = readList(c, v, 'markets') ?? [];
  list.forEach((m, mi) => {
    const mp = `markets[${mi}]`;
    const o = asObject(c, m, mp);
    if (o === undefined) return;
    checkKeys(c, o, mp, MARKET_KEYS);
    const id = field(c, o, 'id', mp, readId, true, 'expected a string');
    const scopeText = field(c, o, 'scope', mp, readString, false, '') ?? 'site';
    const stale = field(c, o, 'stale_after_s', mp, readPositive, false, '') ?? MARKET_STALE_AFTER_S_DEFAULT;
    let hall: string | undefined;
    if (scopeText.startsWith('hall:')) {
      hall = scopeText.slice(5);
      if (!hallWhere.has(hall)) {
        err(c, `${mp}.scope`, `unknown hall "${hall}"`);
        return;
      }
    } else if (scopeText !== 'site') {
      err(c, `${mp}.scope`, 'expected "site" or "hall:<id>"');
      return;
    }
    if (id === undefined) return;
    const dev: DeviceModel = { id, kind: 'market', stale_after_s: stale };
    if (hall !== undefined) dev.hall = hall;
    addDevice(c, reg, dev, { path: `${mp}.id` });
  });
}

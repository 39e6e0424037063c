// Collector settings for site models and schedulers built by hand: every collector in the registry, so a
// test never has to list them (a new protocol changes no test).
import { defaultCollectorSettings } from '../../server/collectors/config.js';
import type { CollectorName } from '../../server/collectors/registry.js';
import type { CollectorSettings } from '../../server/core/types.js';

export { defaultCollectorSettings };

/** Every registered collector: `each` for all of them (else each its defaults), then `named` over those. */
export function collectorSettings(
  each?: CollectorSettings, named: Partial<Record<CollectorName, CollectorSettings>> = {},
): Record<CollectorName, CollectorSettings> {
  const out = defaultCollectorSettings();
  for (const name of Object.keys(out) as CollectorName[]) {
    const s = named[name] ?? each;
    if (s !== undefined) out[name] = { ...s };
  }
  return out;
}

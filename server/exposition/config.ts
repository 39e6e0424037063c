// The `prometheus:` section of the config: what /metrics exposes beyond the site, hall and rack families.

import { field, keySet, readBool, section, type Ctx } from '../core/schema.js';

const PROMETHEUS_KEYS = keySet('per_device');

export function readPrometheus(c: Ctx, v: unknown): { per_device: boolean } {
  return section(c, v, 'prometheus', PROMETHEUS_KEYS, () => ({ per_device: false }), (o) => (
    { per_device: field(c, o, 'per_device', 'prometheus', readBool, false, '') ?? false }
  ));
}

// The demo's links and UPS (issue 19): values that move, the second link down from :30 to :33 each hour,
// and the UPS's 20 s sag at :15 (on battery, charge dipping), all fed through the demo site's model.
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_PATH, loadConfigFile } from '../../server/config/index.js';
import { connectivityReadings } from '../../server/sim/connectivity.js';

const model = loadConfigFile(DEMO_CONFIG_PATH, {});
const HOUR0 = Date.UTC(2026, 0, 5, 14, 0, 0);
const at = (min: number, s = 0): Map<string, Record<string, number | null>> =>
  new Map(connectivityReadings(model, HOUR0 + min * 60_000 + s * 1000, () => 0).map((r) => [r.device, r.metrics]));

describe('demo connectivity', () => {
  it('feeds both demo links and the UPS, with traffic that moves over the day', () => {
    const a = at(5);
    expect([...a.keys()].sort()).toEqual(['UPS-NET', 'WAN-FIBRE', 'WAN-FWA']);
    expect(a.get('WAN-FIBRE')!.oper_up).toBe(1);
    expect(a.get('WAN-FIBRE')!.rx_bps).toBeGreaterThan(0);
    const later = new Map(connectivityReadings(model, HOUR0 + 6 * 3_600_000, () => 0).map((r) => [r.device, r.metrics]));
    expect(later.get('WAN-FIBRE')!.rx_bps).not.toBe(a.get('WAN-FIBRE')!.rx_bps);
  });
  it('takes the second link down for three minutes at the half hour', () => {
    expect(at(29, 59).get('WAN-FWA')!.oper_up).toBe(1);
    expect(at(30).get('WAN-FWA')).toMatchObject({ oper_up: 0, rx_bps: 0 });
    expect(at(32, 59).get('WAN-FWA')!.oper_up).toBe(0);
    expect(at(33).get('WAN-FWA')!.oper_up).toBe(1);
    expect(at(31).get('WAN-FIBRE')!.oper_up).toBe(1);
  });
  it('puts the UPS on battery for 20 s at a quarter past, its charge dipping and coming back', () => {
    expect(at(14).get('UPS-NET')).toMatchObject({ on_battery: 0, battery_charge_pct: 100 });
    expect(at(15, 10).get('UPS-NET')).toMatchObject({ on_battery: 1, battery_charge_pct: 99 });
    expect(at(15, 20).get('UPS-NET')).toMatchObject({ on_battery: 0, battery_charge_pct: 98 });
    expect(at(25, 20).get('UPS-NET')!.battery_charge_pct).toBe(100);
  });
});

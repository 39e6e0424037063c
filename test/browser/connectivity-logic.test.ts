// The wall's connectivity rows (issue 19) in node: a link's throughput against its capacity, a link down
// with its reason, loss and saturation levels from the bands, a UPS on battery with its runtime.
import { describe, expect, it } from 'vitest';
import type { LinkFigures, UpsFigures } from '../../server/core/types.js';
import { connectivityRows, linkRow, upsRow } from '../../client/src/views/connectivity.js';

const NB = '\u202f';
const link = (p: Partial<LinkFigures>): LinkFigures => ({
  id: 'WAN-A', capacity_bps: 1e10, up: true, reason: null, rx_bps: 6.01e9, tx_bps: 2e9, utilisation: 0.601, latency_ms: null, loss_pct: null, ...p,
});
const ups = (p: Partial<UpsFigures>): UpsFigures => ({
  id: 'UPS-1', answering: true, on_battery: false, battery_charge_pct: 100, battery_runtime_s: 1620, load_pct: 38, ...p,
});

describe('connectivity rows', () => {
  it('shows the busier direction against capacity', () => {
    expect(linkRow(link({}))).toEqual({ key: 'link:WAN-A', name: 'WAN-A', text: `6.01${NB}Gbit/s of 10.0${NB}Gbit/s`, level: 'ok' });
    // 850 Mbit/s of 1 Gbit/s: past the 80 % band
    expect(linkRow(link({ capacity_bps: 1e9, rx_bps: 8.5e8, tx_bps: 1e8, utilisation: 0.85 })).level).toBe('warn');
  });
  it('says why a link is down, and marks loss past the band', () => {
    expect(linkRow(link({ up: false, reason: 'interface down' }))).toMatchObject({ text: 'DOWN · interface down', level: 'crit' });
    expect(linkRow(link({ up: null }))).toMatchObject({ text: 'no data', level: 'unknown' });
    expect(linkRow(link({ loss_pct: 7 }))).toMatchObject({ text: `6.01${NB}Gbit/s of 10.0${NB}Gbit/s · 7${NB}% loss`, level: 'crit' });
  });
  it('shows a UPS on mains quietly and on battery loudly, with its runtime', () => {
    expect(upsRow(ups({}))).toEqual({ key: 'ups:UPS-1', name: 'UPS-1', text: `on mains · 100${NB}%`, level: 'ok' });
    expect(upsRow(ups({ on_battery: true, battery_charge_pct: 62, battery_runtime_s: 900 }))).toEqual({
      key: 'ups:UPS-1', name: 'UPS-1', text: `ON BATTERY · 62${NB}% · 15${NB}min left`, level: 'crit',
    });
    expect(upsRow(ups({ battery_charge_pct: 30 })).level).toBe('crit');
    expect(upsRow(ups({ answering: false })).text).toBe('not answering');
  });
  it('lists links before UPSes, and nothing for a site with neither', () => {
    expect(connectivityRows(undefined)).toEqual([]);
    expect(connectivityRows({ links: [link({})], ups: [ups({})], links_down: 0, all_links_down: false }).map((r) => r.key)).toEqual(['link:WAN-A', 'ups:UPS-1']);
  });
});

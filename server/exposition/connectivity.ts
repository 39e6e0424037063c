// /metrics for the WAN links and UPSes (issue 19), from the site's connectivity figures: a link's
// throughput only while its router answers (unknown is no series, never 0), its up state whenever known.
// Throughput is in bytes per second: Prometheus' base unit for data is the byte (promtool check metrics
// rejects `bits`, and node_exporter's node_network_*_bytes_total are the same unit), so the issue's
// *_bits_per_second names are *_bytes_per_second here; the wall shows bit/s, as operators quote links.
//   floorwatch_link_receive_bytes_per_second{link}, floorwatch_link_transmit_bytes_per_second{link}
//   floorwatch_link_up{link}                1 up, 0 interface down or router not answering
//   floorwatch_link_capacity_bytes_per_second{link}
//   floorwatch_ups_on_battery{device}       1 on battery, 0 on mains
//   floorwatch_ups_battery_charge_ratio{device}   0–1
//   floorwatch_ups_battery_runtime_seconds{device}

import type { Gauge } from 'prom-client';
import type { ConnectivityFigures } from '../core/types.js';

type GaugeFn = (name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => void) => unknown;
type SetFn = (g: Gauge<string>, labels: Record<string, string>, v: number | null) => void;

export function registerConnectivityMetrics(gauge: GaugeFn, set: SetFn, figures: () => ConnectivityFigures | undefined): void {
  const links = (): ConnectivityFigures['links'] => figures()?.links ?? [];
  const ups = (): ConnectivityFigures['ups'] => figures()?.ups ?? [];
  const bytes = (bps: number | null): number | null => (bps === null ? null : bps / 8);
  gauge('floorwatch_link_receive_bytes_per_second', 'WAN link receive rate (IF-MIB ifHCInOctets delta per second)', ['link'], (g) => {
    for (const l of links()) set(g, { link: l.id }, bytes(l.rx_bps));
  });
  gauge('floorwatch_link_transmit_bytes_per_second', 'WAN link transmit rate (IF-MIB ifHCOutOctets delta per second)', ['link'], (g) => {
    for (const l of links()) set(g, { link: l.id }, bytes(l.tx_bps));
  });
  gauge('floorwatch_link_up', '1 while a WAN link is up, 0 when its interface is down or its router does not answer', ['link'], (g) => {
    for (const l of links()) set(g, { link: l.id }, l.up === null ? null : l.up ? 1 : 0);
  });
  gauge('floorwatch_link_capacity_bytes_per_second', 'WAN link capacity as configured (capacity_bps / 8)', ['link'], (g) => {
    for (const l of links()) set(g, { link: l.id }, bytes(l.capacity_bps));
  });
  gauge('floorwatch_ups_on_battery', '1 while a UPS runs on battery, 0 on mains (RFC 1628 upsOutputSource)', ['device'], (g) => {
    for (const u of ups()) set(g, { device: u.id }, u.on_battery === null ? null : u.on_battery ? 1 : 0);
  });
  gauge('floorwatch_ups_battery_charge_ratio', 'UPS battery charge remaining (0–1)', ['device'], (g) => {
    for (const u of ups()) set(g, { device: u.id }, u.battery_charge_pct === null ? null : u.battery_charge_pct / 100);
  });
  gauge('floorwatch_ups_battery_runtime_seconds', 'UPS estimated runtime left on battery', ['device'], (g) => {
    for (const u of ups()) set(g, { device: u.id }, u.battery_runtime_s);
  });
}

// The site's WAN links and UPSes as the wall and /metrics show them: per link up or down, throughput and
// its share of capacity; per UPS on battery and charge; and whether every link is down at once (one loud
// line on the wall rather than a page of down devices). Pure: from the live input only.

import type { ConnectivityFigures, DeviceLive, LinkFigures, LiveInput, SiteModel, UpsFigures } from '../core/types.js';
import { deviceHealth } from './health.js';

interface Members {
  ups: string[];
}
/** The UPS ids of a model, found once: the model never changes for the life of the process. */
const membersOf = new WeakMap<SiteModel, Members>();

function members(model: SiteModel): Members {
  let m = membersOf.get(model);
  if (m === undefined) {
    m = { ups: [...model.devices.values()].filter((d) => d.kind === 'ups').map((d) => d.id) };
    membersOf.set(model, m);
  }
  return m;
}

function metric(live: DeviceLive | undefined, name: keyof DeviceLive['metrics']): number | null {
  const v = live?.metrics[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * A link's latency and loss: its probe's (the `probes:` entry the link names, issue 19: a TCP connect through
 * the site's uplink), while that probe reports; else what the link's own device reports (a push may carry
 * them); null when neither is current.
 */
function linkLatency(
  input: LiveInput, probe: string | undefined, own: DeviceLive | undefined, ctx: Parameters<typeof deviceHealth>[2],
): { latency_ms: number | null; loss_pct: number | null } {
  if (probe !== undefined) {
    const p = input.devices.get(probe);
    if (p !== undefined && deviceHealth('probe', p, ctx).health !== 'down') return { latency_ms: metric(p, 'latency_ms'), loss_pct: metric(p, 'loss_pct') };
  }
  return { latency_ms: metric(own, 'latency_ms'), loss_pct: metric(own, 'loss_pct') };
}

export function connectivityFigures(input: LiveInput): ConnectivityFigures | undefined {
  const links = input.model.links ?? [];
  const { ups } = members(input.model);
  if (links.length === 0 && ups.length === 0) return undefined;
  const ctx = { now: input.now, stale_after_ms: input.stale_after_ms, offline: input.offline };

  const linkFigures: LinkFigures[] = links.map((l) => {
    const live = input.devices.get(l.id);
    const h = deviceHealth('network_link', live, ctx);
    const fresh = h.health !== 'down';
    const oper = fresh ? metric(live, 'oper_up') : null;
    const rx = fresh ? metric(live, 'rx_bps') : null;
    const tx = fresh ? metric(live, 'tx_bps') : null;
    // Never heard of ('no data') is unknown; a router that stopped answering leaves the link unusable to us.
    const up = !fresh ? (h.reason === 'no data' ? null : false) : oper === null ? null : oper === 1;
    const busiest = rx === null && tx === null ? null : Math.max(rx ?? 0, tx ?? 0);
    return {
      id: l.id, capacity_bps: l.capacity_bps, up,
      reason: up === false ? (fresh ? 'interface down' : h.reason ?? 'down') : null,
      rx_bps: rx, tx_bps: tx,
      utilisation: busiest === null ? null : busiest / l.capacity_bps,
      ...linkLatency(input, l.probe, fresh ? live : undefined, ctx),
    };
  });

  const upsFigures: UpsFigures[] = ups.map((id) => {
    const live = input.devices.get(id);
    const answering = deviceHealth('ups', live, ctx).health !== 'down';
    const onb = answering ? metric(live, 'on_battery') : null;
    const f: UpsFigures = {
      id, answering, on_battery: onb === null ? null : onb === 1,
      battery_charge_pct: answering ? metric(live, 'battery_charge_pct') : null,
      battery_runtime_s: answering ? metric(live, 'battery_runtime_s') : null,
      load_pct: answering ? metric(live, 'load_pct') : null,
    };
    const dm = input.model.devices.get(id);
    if (dm?.hall !== undefined) f.hall = dm.hall;
    if (dm?.rack !== undefined) f.rack = dm.rack;
    return f;
  });

  const links_down = linkFigures.filter((l) => l.up === false).length;
  return { links: linkFigures, ups: upsFigures, links_down, all_links_down: links.length > 0 && links_down === links.length };
}

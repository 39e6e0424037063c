// An alert as Alertmanager's API v2 takes it (POST /api/v2/alerts, the body Prometheus' notifier sends):
// labels that say where (site, hall, rack, device), annotations a person reads, the times, and the link back
// to the wall's drill-down for that scope. Pure: the model says where each scope sits; no I/O.

import type { AlertView, SiteModel } from '../core/types.js';

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
}

/** An Alertmanager matcher (API v2): equality on one label, as a silence of one alert wants. */
export interface AmMatcher {
  name: string;
  value: string;
  isRegex: false;
  isEqual: true;
}

/** 'rack:M-01' → ['rack', 'M-01']; 'site' → ['site', '']. Ids may hold ':' (`device:n1/gpu0` does not, but be safe). */
function splitScope(scope: string): [string, string] {
  const i = scope.indexOf(':');
  return i < 0 ? [scope, ''] : [scope.slice(0, i), scope.slice(i + 1)];
}

/**
 * alertname, severity, site, then hall, rack, device and kind where the scope has them, and the scope
 * itself (so two alerts of one rule never share a label set). Empty values are left out: Alertmanager
 * reads an empty label as an absent one.
 */
export function alertLabels(model: SiteModel, v: Pick<AlertView, 'alertname' | 'severity' | 'scope'>): Record<string, string> {
  const l: Record<string, string> = { alertname: v.alertname, severity: v.severity };
  if (model.name !== '') l.site = model.name;
  const [kind, id] = splitScope(v.scope);
  switch (kind) {
    case 'hall': l.hall = id; break;
    case 'rack': {
      const hall = model.racks.get(id)?.hall;
      if (hall) l.hall = hall;
      l.rack = id;
      break;
    }
    case 'device': {
      const d = model.devices.get(id);
      if (d?.hall) l.hall = d.hall;
      if (d?.rack) l.rack = d.rack;
      l.device = id;
      if (d) l.kind = d.kind;
      break;
    }
    case 'loop': {
      const hall = model.loops.find((x) => x.id === id)?.hall;
      if (hall) l.hall = hall;
      break;
    }
    // PoolDead (issue 19): routed by pool, like a rack alert by rack.
    case 'pool': l.pool = id; break;
    default: break;
  }
  l.scope = v.scope;
  return l;
}

export function silenceMatchers(labels: Record<string, string>): AmMatcher[] {
  return Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
}

/** The wall's URL for a scope (client/src/main.ts reads ?view=…): the rack, hall or device page, else the site. */
export function drillDownUrl(model: SiteModel, base: string, scope: string): string {
  const [kind, id] = splitScope(scope);
  let q: Record<string, string> = { view: 'site' };
  if (kind === 'hall' || kind === 'rack' || kind === 'device') q = { view: kind, [kind]: id };
  else if (kind === 'loop') {
    const hall = model.loops.find((x) => x.id === id)?.hall;
    if (hall) q = { view: 'hall', hall };
  }
  return `${base}/?${new URLSearchParams(q).toString()}`;
}

function round(v: number, digits: number): string {
  return v.toFixed(digits);
}

// The rules whose value is a 0–1 ratio: the wall shows them as percentages.
const RATIO_RULES: ReadonlySet<string> = new Set(['MinerHashrateLow', 'RackPowerHigh', 'RackDevicesDown']);

/**
 * A value in the unit the wall shows it in (client/src/format.ts and views/common.ts formatAlertValue: the
 * client's own code, which the server may not import): °C to one decimal, ratios as %, PUE to two
 * decimals, flow in L/min, power in W/kW/MW, hashrate in TH/s. A rule whose unit the name does not tell
 * gets the bare number.
 */
export function formatAlertValue(alertname: string, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'unknown';
  const name = alertname.toLowerCase();
  if (RATIO_RULES.has(alertname)) return `${round(v * 100, 1)} %`;
  if (alertname === 'DataStale') return `${Math.round(v)} s`;
  if (alertname === 'CollectorStalled') return `${round(v, 1)} poll intervals`;
  if (alertname === 'LoopFlowLow' || name.includes('flow')) return `${round(v, 0)} L/min`;
  if (name.includes('inlet') || name.includes('temp') || name.includes('deltat')) return `${round(v, 1)} °C`;
  if (name.includes('pue')) return round(v, 2);
  if (name.includes('power')) {
    const abs = Math.abs(v);
    if (abs >= 1e6) return `${round(v / 1e6, 2)} MW`;
    if (abs >= 1e3) return `${round(v / 1e3, 2)} kW`;
    return `${round(v, 0)} W`;
  }
  if (name.includes('hash')) return v <= 1.5 ? `${round(v * 100, 1)} %` : `${round(v, 2)} TH/s`;
  return String(Math.round(v * 100) / 100);
}

/**
 * The alert as sent. `endsAt`: for a firing alert the time after which Alertmanager resolves it by itself
 * unless it is sent again (now + 4 × the resend interval, as Prometheus does); for a resolved one the
 * resolve time.
 */
export function toAmAlert(model: SiteModel, base: string, v: AlertView, endsAt: number): AmAlert {
  const annotations: Record<string, string> = {
    summary: v.summary,
    // The summary is the rule's text rendered with the latest value; once resolved that value is the one
    // that cleared it ("inlet 25 °C, above 32 °C" read wrongly in a resolved message), so say so.
    description: v.state === 'resolved'
      ? `resolved: value now ${formatAlertValue(v.alertname, v.value)}, threshold ${formatAlertValue(v.alertname, v.threshold)}`
      : `${v.summary}: value ${formatAlertValue(v.alertname, v.value)}, threshold ${formatAlertValue(v.alertname, v.threshold)}`,
  };
  if (v.acknowledged) {
    annotations.acknowledged_by = v.acknowledged.by;
    annotations.acknowledged_note = v.acknowledged.note;
  }
  return {
    labels: alertLabels(model, v),
    annotations,
    startsAt: new Date(v.fired_at ?? v.since).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    generatorURL: drillDownUrl(model, base, v.scope),
  };
}

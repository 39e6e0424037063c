// The `alerting:` section of the config: the Alertmanagers the alerts are pushed to (each on its own: they
// are HA peers, and Alertmanager dedupes between them), how often a firing alert is re-sent, and the URL
// the wall is reached at from outside (the alerts' generatorURL).

import {
  asObject, at, checkKeys, err, field, keySet, readHttpAuth, readList, readPosInt, readPositive, readString, readUrl, section, type Ctx,
} from '../core/schema.js';
import type { AlertingSettings, AlertmanagerTarget } from '../core/types.js';

/** Prometheus' --rules.alert.resend-delay default. */
export const RESEND_S_DEFAULT = 60;
/** Prometheus' --notifier.timeout default. */
export const TIMEOUT_MS_DEFAULT = 10_000;
/** Prometheus' --alertmanager.notification-queue-capacity default. */
export const QUEUE_CAPACITY_DEFAULT = 10_000;

const ALERTING_KEYS = keySet('alertmanagers', 'resend_s', 'external_url', 'queue_capacity');
const AM_KEYS = keySet('url', 'bearer_token', 'basic_auth', 'timeout_ms');

function readAlertmanager(c: Ctx, v: unknown, p: string): AlertmanagerTarget | undefined {
  const o = asObject(c, v, p);
  if (o === undefined) return undefined;
  checkKeys(c, o, p, AM_KEYS);
  const url = field(c, o, 'url', p, readUrl, true, 'expected an http(s) URL');
  const timeout = field(c, o, 'timeout_ms', p, readPosInt, false, '');
  const auth = readHttpAuth(c, o, p);
  if (url === undefined) return undefined;
  return {
    url: url.replace(/\/+$/, ''), timeout_ms: timeout ?? TIMEOUT_MS_DEFAULT,
    ...auth,
  };
}

/** null when the section is absent: nothing is sent (the demo needs no Alertmanager). */
export function readAlerting(c: Ctx, v: unknown): AlertingSettings | null {
  return section<AlertingSettings | null>(c, v, 'alerting', ALERTING_KEYS, () => null, (o) => {
    const list = field(c, o, 'alertmanagers', 'alerting', readList, true, 'expected a list');
    if (list !== undefined && list.length === 0) err(c, 'alerting.alertmanagers', 'expected at least one Alertmanager');
    const alertmanagers: AlertmanagerTarget[] = [];
    const seen = new Map<string, string>();
    list?.forEach((a, i) => {
      const p = `alerting.alertmanagers[${i}]`;
      const am = readAlertmanager(c, a, p);
      if (am === undefined) return;
      const first = seen.get(am.url);
      if (first !== undefined) err(c, at(p, 'url'), `duplicate Alertmanager "${am.url}", first at ${first}`);
      else {
        seen.set(am.url, at(p, 'url'));
        alertmanagers.push(am);
      }
    });
    const resend = field(c, o, 'resend_s', 'alerting', readPositive, false, '');
    const external = field(c, o, 'external_url', 'alerting', readUrl, false, '');
    const capacity = field(c, o, 'queue_capacity', 'alerting', readPosInt, false, '');
    return {
      alertmanagers, resend_s: resend ?? RESEND_S_DEFAULT, queue_capacity: capacity ?? QUEUE_CAPACITY_DEFAULT,
      ...(external !== undefined ? { external_url: external.replace(/\/+$/, '') } : {}),
    };
  });
}

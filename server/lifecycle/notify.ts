// The notifier started with the server when the config has `alerting:` (nothing at all otherwise: the demo
// needs no Alertmanager): the alert engine's changes go to it as they happen, a 1 s timer re-sends what is
// due, /metrics and /readyz read its counts and failures, and close() stops its send loops.

import { hostname } from 'node:os';
import type { SiteModel } from '../core/types.js';
import type { EngineAlertView } from '../alerts/step.js';
import type { Logger } from '../log.js';
import { createNotifier, type Notifier } from '../notify/notifier.js';
import type { BackgroundTasks } from './background.js';

/**
 * The generatorURL base when `alerting.external_url` is not set: as Prometheus' default external URL, the
 * machine's host name when listening on every address, else the host given; and the port listened on.
 */
export function defaultExternalUrl(host: string | undefined, port: number): string {
  const h = host === undefined || host === '' || host === '0.0.0.0' || host === '::' ? hostname() : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export interface Notifications {
  notifier: Notifier;
  /** starts sending and the resend timer (on the server's background guard) once the port is known */
  start(o: { background: BackgroundTasks; active: () => readonly EngineAlertView[]; host: string | undefined; port: number }): void;
}

/** null without `alerting:`. */
export function createNotifications(model: SiteModel, logger: Logger): Notifications | null {
  const settings = model.alerting;
  if (!settings) return null;
  const notifier = createNotifier({
    model, settings,
    log: (level, msg, fields) => logger[level](fields, msg),
  });
  return {
    notifier,
    start({ background, active, host, port }) {
      notifier.start(settings.external_url ?? defaultExternalUrl(host, port));
      background.every('notify_resend', 1000, () => notifier.resend(active()), { unref: true });
    },
  };
}

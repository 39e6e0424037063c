// The alerts pushed to Alertmanager, the way Prometheus' rule manager and notifier push theirs
// (rules/alerting.go, rules/manager.go, notifier/): a firing alert is sent when it fires and re-sent every
// resend interval with endsAt = now + 4 × that interval, so Alertmanager resolves it by itself if Floorwatch
// goes quiet; a resolved one is sent with endsAt = the resolve time and re-sent for 15 minutes; a pending
// one is not sent. Every Alertmanager gets everything (they are HA peers). A shelve is a silence there.
// What differs from Prometheus is in the README ("Notifications").

import type { AlertingSettings, SiteModel } from '../core/types.js';
import type { AlertObserver } from '../live/alerts.js';
import type { EngineAlertView } from '../alerts/step.js';
import { alertLabels, silenceMatchers, toAmAlert } from './alert.js';
import { createSender, type Sender, type SenderOptions, type SenderStats, type SenderStatus } from './sender.js';

/** Prometheus' resolvedRetention: a resolved alert is re-sent this long, so a lost send does not strand it firing. */
export const RESOLVED_RESEND_MS = 15 * 60_000;
/** Prometheus' ValidUntil: endsAt this many resend intervals ahead, which tolerates missed sends. */
export const ENDS_AT_RESENDS = 4;
/** /readyz names an Alertmanager that has failed this long without a success in between. */
export const FAILING_NOT_READY_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 30_000;

export interface NotifierOptions {
  model: SiteModel;
  settings: AlertingSettings;
  log: SenderOptions['log'];
  now?: () => number;
  fetch?: typeof fetch;
  minBackoffMs?: number;
  failingNotReadyMs?: number;
}

export interface Notifier {
  /** what live/alerts.ts tells of state changes and operator actions; only queues */
  observer: AlertObserver;
  /** re-sends the firing alerts (from the engine's active list) and the recently resolved ones that are due */
  resend(active: readonly EngineAlertView[], now?: number): void;
  /** sending starts; `externalUrl` is the generatorURL base */
  start(externalUrl: string): void;
  stop(): Promise<void>;
  stats(): SenderStats[];
  status(): SenderStatus[];
  /** "alertmanager URL: failing for N min (error)" for each that has failed for 5 minutes */
  problems(now?: number): string[];
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const { model, settings } = opts;
  const now = opts.now ?? Date.now;
  const resendMs = settings.resend_s * 1000;
  const failingMs = opts.failingNotReadyMs ?? FAILING_NOT_READY_MS;
  let base = '';
  const senders: Sender[] = settings.alertmanagers.map((target) => createSender({
    target, capacity: settings.queue_capacity, log: opts.log, now, fetch: opts.fetch,
    minBackoffMs: opts.minBackoffMs,
    // Past one resend interval a newer state is on its way anyway.
    maxBackoffMs: Math.min(MAX_BACKOFF_MS, resendMs),
  }));
  /** firing alerts: when each was last queued */
  const lastSent = new Map<string, number>();
  /** resolved alerts still re-sent: their last view and when it was last queued */
  const resolved = new Map<string, { view: EngineAlertView; at: number }>();

  const enqueue = (views: readonly EngineAlertView[], t: number): void => {
    if (views.length === 0) return;
    const items = views.map((v) => {
      const endsAt = v.state === 'resolved' ? (v.resolved_at ?? t) : t + ENDS_AT_RESENDS * resendMs;
      return { key: v.key, build: () => toAmAlert(model, base, v, endsAt) };
    });
    for (const s of senders) s.add(items);
  };

  // The engine's changes and the operators' actions, on the tick or a request: only Map updates and
  // queueing, and guarded, so a fault here can never fail the tick.
  const guard = (what: string, f: () => void): void => {
    try {
      f();
    } catch (e) {
      opts.log('error', `notifications: ${what} failed: ${String(e)}`, {});
    }
  };
  const observer: AlertObserver = {
    changed: (views, t) => guard('queueing', () => {
      const out: EngineAlertView[] = [];
      for (const v of views) {
        if (v.state === 'firing') {
          lastSent.set(v.key, t);
          resolved.delete(v.key);
          out.push(v);
        } else if (v.state === 'resolved' && v.fired_at !== null) {
          // Was firing (a pending alert that recovered was never sent, and is not now).
          lastSent.delete(v.key);
          resolved.set(v.key, { view: v, at: t });
          out.push(v);
        }
      }
      enqueue(out, t);
    }),
    shelved: (v, until, by, note, t) => guard('silencing', () => {
      const body = {
        matchers: silenceMatchers(alertLabels(model, v)), startsAt: new Date(t).toISOString(), endsAt: new Date(until).toISOString(),
        createdBy: by, comment: note,
      };
      for (const s of senders) s.silence(v.key, body);
    }),
    unshelved: (key, v) => guard('unsilencing', () => {
      if (v === null) return;
      const matchers = silenceMatchers(alertLabels(model, v));
      for (const s of senders) s.unsilence(key, matchers);
    }),
  };

  return {
    observer,
    resend(active, t = now()) {
      const due: EngineAlertView[] = [];
      const firing = new Set<string>();
      for (const v of active) {
        if (v.state !== 'firing') continue;
        firing.add(v.key);
        // Unknown here (restored from the saved state after a restart): sent now.
        const last = lastSent.get(v.key);
        if (last === undefined || t - last >= resendMs) {
          lastSent.set(v.key, t);
          due.push(v);
        }
      }
      for (const k of lastSent.keys()) if (!firing.has(k)) lastSent.delete(k);
      for (const [k, r] of resolved) {
        if (t - (r.view.resolved_at ?? r.at) > RESOLVED_RESEND_MS) resolved.delete(k);
        else if (t - r.at >= resendMs) {
          r.at = t;
          due.push(r.view);
        }
      }
      enqueue(due, t);
    },
    start(externalUrl) {
      base = externalUrl.replace(/\/+$/, '');
      for (const s of senders) s.start();
    },
    async stop() {
      await Promise.all(senders.map((s) => s.stop()));
    },
    stats: () => senders.map((s) => s.stats()),
    status: () => senders.map((s) => s.status()),
    problems(t = now()) {
      const out: string[] = [];
      for (const s of senders) {
        const st = s.status();
        if (st.failing_since !== null && t - st.failing_since >= failingMs) {
          out.push(`alertmanager ${st.alertmanager}: failing for ${Math.floor((t - st.failing_since) / 60_000)} min (${st.last_error ?? 'unknown error'})`);
        }
      }
      return out;
    },
  };
}

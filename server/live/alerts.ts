import type { AlertView, DeviceStatus, Figures, LiveInput, SiteModel } from '../core/types.js';
import { visitDeviceStatuses } from '../figures/devices.js';
import type { SiteIndex } from '../figures/site-index.js';
import { createAlertEngine, type AlertEngine, type FiringCount } from '../alerts/engine.js';
import type { EngineAlertView } from '../alerts/step.js';
import { defaultRules } from '../alerts/builtin.js';
import { mergeRules, parseAlertRules, type AlertRule, type CurtailmentAlertTarget } from '../alerts/rules.js';
import type { Db } from '../store/db.js';
import { appendAudit, loadAlertState, saveAlertState, type AuditEntry } from '../store/alerts.js';
import type { AlertSource } from './hub.js';

export interface SiteAlerts extends AlertSource {
  engine: AlertEngine;
  recent(): EngineAlertView[];
  firingCounts(): FiringCount[];
  acknowledge(key: string, by: string, note: string): EngineAlertView | null;
  shelve(key: string, until: number, by: string, note: string): EngineAlertView | null;
  unshelve(key: string, by: string, note: string): boolean;
  save(): void;
}

/**
 * Told of every alert state change (each evaluation's changes, an acknowledge) and of shelves, e.g. by the
 * notifier (server/notify/), which stands above this layer. Called on the tick and on operator requests:
 * it must only queue, never wait or throw.
 */
export interface AlertObserver {
  changed(views: readonly EngineAlertView[], now: number): void;
  shelved(view: EngineAlertView, until: number, by: string, note: string, now: number): void;
  /** `view`: the alert as it is after the unshelve; null when it is gone */
  unshelved(key: string, view: EngineAlertView | null, now: number): void;
}

/** Built-in rules plus the site's own (config `alerts.rules`; one with a built-in's name replaces it). */
export function siteRules(model: SiteModel, staleAfterS: number): AlertRule[] {
  const parsed = parseAlertRules(model.alert_rules ?? []);
  if (parsed.errors.length > 0) throw new Error(parsed.errors.join('\n'));
  const curtailment_shortfall_for_ms = model.curtailment?.shortfall_for_ms;
  return mergeRules(defaultRules({ stale_after_s: staleAfterS, curtailment_shortfall_for_ms }), parsed.rules);
}

/**
 * The alert engine wired to the site: evaluated on the hub's tick over the figures and every device's
 * status, its state saved to the store (so a restart neither forgets a firing alert nor pages again
 * for an old XID), and operator actions audited.
 */
export function createSiteAlerts(opts: {
  model: SiteModel;
  index: SiteIndex;
  db: Db;
  staleAfterS: number;
  collectorsLastOk?: () => ReadonlyMap<string, number>;
  /** active curtailment events (server/live/curtailments.ts), judged by CurtailmentShortfall */
  curtailments?: () => readonly CurtailmentAlertTarget[];
  now?: () => number;
  observer?: AlertObserver;
}): SiteAlerts {
  const { model, index, db } = opts;
  const now = opts.now ?? Date.now;
  const engine = createAlertEngine(siteRules(model, opts.staleAfterS));
  // Starts at 1 so the first update after a start carries the (possibly restored) list.
  let revision = 1;
  const saved = loadAlertState(db);
  if (saved) engine.restore(saved);

  // Operator actions take effect at once; their audit entries and the state are written with them, and
  // when the database refuses (another process holds the write lock: the main connection waits 1 ms,
  // not 5 s) they stay here and go out with the next save (the alerts_save timer, every 10 s), in order.
  let unsavedAudit: AuditEntry[] = [];
  const persist = (t: number): void => {
    const audit = unsavedAudit;
    db.transaction(() => {
      for (const e of audit) appendAudit(db, e);
      saveAlertState(db, engine.snapshot(), t);
    })();
    unsavedAudit = unsavedAudit.slice(audit.length);
  };
  const audited = (e: AuditEntry): void => {
    revision++;
    unsavedAudit.push(e);
    try {
      persist(e.ts);
    } catch {
      /* kept in unsavedAudit: the next save() writes it, or throws to the background guard that counts it */
    }
  };

  return {
    engine,
    evaluate(figures: Figures, input: LiveInput): AlertView[] {
      const devices = (visit: (d: DeviceStatus) => void) => visitDeviceStatuses(input, index, visit);
      const changes = engine.evaluate({
        now: input.now, figures, devices, model, collectorsLastOk: opts.collectorsLastOk?.(), offline: input.offline,
        curtailed: input.curtailed, curtailments: opts.curtailments?.(),
      });
      if (changes.length > 0) {
        revision++;
        opts.observer?.changed(changes, input.now);
      }
      return changes;
    },
    active: () => engine.active(),
    revision: () => revision,
    recent: () => engine.recent(),
    firingCounts: () => engine.firingCounts(now()),
    acknowledge(key, by, note) {
      const t = now();
      const v = engine.acknowledge(key, by, note, t);
      if (v) {
        audited({ ts: t, key, action: 'acknowledge', actor: by, note });
        opts.observer?.changed([v], t);
      }
      return v;
    },
    shelve(key, until, by, note) {
      const t = now();
      const v = engine.shelve(key, until, by, note, t);
      if (v) {
        audited({ ts: t, key, action: 'shelve', actor: by, note, until });
        opts.observer?.shelved(v, until, by, note, t);
      }
      return v;
    },
    unshelve(key, by, note) {
      const t = now();
      const ok = engine.unshelve(key);
      if (ok) {
        audited({ ts: t, key, action: 'unshelve', actor: by, note });
        opts.observer?.unshelved(key, engine.get(key), t);
      }
      return ok;
    },
    save() {
      persist(now());
    },
  };
}

import type { Db } from './db.js';

export interface AuditEntry {
  ts: number;
  key: string;
  action: 'acknowledge' | 'shelve' | 'unshelve';
  actor: string;
  note: string;
  until?: number | null;
}

/** The alert engine's state as one JSON document, replaced on each save. */
export function saveAlertState(db: Db, snapshot: unknown, now: number): void {
  db.prepare('INSERT INTO alert_state (id, saved_at, snapshot) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET saved_at = excluded.saved_at, snapshot = excluded.snapshot')
    .run(now, JSON.stringify(snapshot));
}

export function loadAlertState(db: Db): unknown {
  const row = db.prepare('SELECT snapshot FROM alert_state WHERE id = 1').get() as { snapshot: string } | undefined;
  return row ? (JSON.parse(row.snapshot) as unknown) : null;
}

export function appendAudit(db: Db, e: AuditEntry): void {
  db.prepare('INSERT INTO alert_audit (ts, key, action, actor, note, until) VALUES (?, ?, ?, ?, ?, ?)')
    .run(e.ts, e.key, e.action, e.actor, e.note, e.until ?? null);
}

export function readAudit(db: Db, key?: string, limit = 200): AuditEntry[] {
  const rows = key
    ? db.prepare('SELECT ts, key, action, actor, note, until FROM alert_audit WHERE key = ? ORDER BY ts DESC, id DESC LIMIT ?').all(key, limit)
    : db.prepare('SELECT ts, key, action, actor, note, until FROM alert_audit ORDER BY ts DESC, id DESC LIMIT ?').all(limit);
  return rows as AuditEntry[];
}

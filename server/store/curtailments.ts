// Curtailment events and their audit trail in SQLite (migrations/007_curtailments.sql). Written on the
// main connection, each write in one transaction with its audit row, so an event is never stored without
// who posted it; the caller retries a locked database (live/curtailments.ts) and answers 503 when it stays so.

import type { CurtailmentFigures, CurtailmentTarget } from '../core/types.js';
import type { Db } from './db.js';

export interface StoredCurtailment {
  id: string;
  scope: string;
  target: CurtailmentTarget;
  start: number;
  end: number;
  program: string | null;
  note: string | null;
  created_at: number;
  created_by: string;
  cancelled_at: number | null;
  cancelled_by: string | null;
  /** the figures frozen when it ended; null before */
  figures: CurtailmentFigures | null;
}

export interface CurtailmentAuditEntry {
  ts: number;
  event_id: string;
  action: 'create' | 'cancel';
  actor: string;
  note: string;
}

interface Row {
  id: string; scope: string; target_reduction_kw: number | null; target_ceiling_kw: number | null;
  start: number; end: number; program: string | null; note: string | null; created_at: number; created_by: string;
  cancelled_at: number | null; cancelled_by: string | null; figures: string | null;
}

function fromRow(r: Row): StoredCurtailment {
  return {
    id: r.id, scope: r.scope,
    target: r.target_reduction_kw !== null ? { reduction_kw: r.target_reduction_kw } : { ceiling_kw: r.target_ceiling_kw ?? 0 },
    start: r.start, end: r.end, program: r.program, note: r.note, created_at: r.created_at, created_by: r.created_by,
    cancelled_at: r.cancelled_at, cancelled_by: r.cancelled_by,
    figures: r.figures === null ? null : (JSON.parse(r.figures) as CurtailmentFigures),
  };
}

function audit(db: Db, e: CurtailmentAuditEntry): void {
  db.prepare('INSERT INTO curtailment_audit (ts, event_id, action, actor, note) VALUES (?, ?, ?, ?, ?)')
    .run(e.ts, e.event_id, e.action, e.actor, e.note);
}

export function insertCurtailment(db: Db, e: StoredCurtailment): void {
  db.transaction(() => {
    db.prepare(`INSERT INTO curtailment_event (id, scope, target_reduction_kw, target_ceiling_kw, start, "end", program, note, created_at, created_by)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(e.id, e.scope, 'reduction_kw' in e.target ? e.target.reduction_kw : null, 'ceiling_kw' in e.target ? e.target.ceiling_kw : null,
        e.start, e.end, e.program, e.note, e.created_at, e.created_by);
    audit(db, { ts: e.created_at, event_id: e.id, action: 'create', actor: e.created_by, note: e.note ?? '' });
  })();
}

/** Marks an event cancelled (once: a second cancel changes nothing and returns false). */
export function cancelCurtailment(db: Db, id: string, at: number, by: string, note: string): boolean {
  return db.transaction(() => {
    const r = db.prepare('UPDATE curtailment_event SET cancelled_at = ?, cancelled_by = ? WHERE id = ? AND cancelled_at IS NULL').run(at, by, id);
    if (r.changes === 0) return false;
    audit(db, { ts: at, event_id: id, action: 'cancel', actor: by, note });
    return true;
  })();
}

export function saveCurtailmentFigures(db: Db, id: string, figures: CurtailmentFigures): void {
  db.prepare('UPDATE curtailment_event SET figures = ? WHERE id = ?').run(JSON.stringify(figures), id);
}

/** Events that end after `since`, oldest start first, at most `limit`. */
export function readCurtailments(db: Db, since: number, limit = 500): StoredCurtailment[] {
  const rows = db.prepare('SELECT * FROM curtailment_event WHERE "end" > ? ORDER BY start DESC LIMIT ?').all(since, limit) as Row[];
  return rows.map(fromRow).reverse();
}

export function readCurtailmentAudit(db: Db, limit = 200): CurtailmentAuditEntry[] {
  return db.prepare('SELECT ts, event_id, action, actor, note FROM curtailment_audit ORDER BY ts DESC, id DESC LIMIT ?').all(limit) as CurtailmentAuditEntry[];
}

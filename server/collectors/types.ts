// Contracts between the collectors and the rest of the server. The collectors only ever hand readings to
// the sink: they never write to the store or the live state themselves (DESIGN.md §2, one path in).

import type { CatalogueModel, DeviceModel, Reading, SiteModel } from '../core/types.js';

export interface CollectorSink {
  /** into the one validated path in */
  accept(readings: Reading[]): void;
  /** reason: 'refused' | 'timeout' | 'closed mid-reply' | 'bad reply: …' */
  deviceError(device: string, reason: string, ts: number): void;
}

export type CollectorName = 'cgminer' | 'whatsminer_v3' | 'dcgm' | 'redfish';

export interface SchedulerOptions {
  devices: DeviceModel[];
  catalogue: Map<string, CatalogueModel>;
  settings: SiteModel['collectors'];
  sink: CollectorSink;
  onPollDuration?: (collector: string, seconds: number, ok: boolean) => void;
  /** each poll as it starts: how late it is against its due time (ms); for the bench and diagnostics */
  onPollStart?: (collector: string, lag_ms: number) => void;
  /** test hook: clock (epoch ms); defaults to Date.now */
  now?: () => number;
  /** longest back-off on a failing device, as a multiple of the interval (default 8) */
  max_backoff_factor?: number;
}

export interface CollectorStats {
  targets: number;
  polls: number;
  failures: number;
  in_flight: number;
  /** polls waiting for a concurrency slot right now */
  queued: number;
  /** worst delay between a poll's due time and its start, since the scheduler started (ms) */
  max_start_lag_ms: number;
  per_collector: Record<string, { polls: number; failures: number }>;
}

export interface SchedulerHandle {
  stop(): Promise<void>;
  stats(): CollectorStats;
}

/** A device-level failure with the short reason the API shows ('refused', 'timeout', 'bad reply: …'). */
export class CollectorError extends Error {
  constructor(public readonly reason: string) {
    super(reason);
    this.name = 'CollectorError';
  }
}

/** What a device said, before it is put in the vocabulary of DESIGN.md §3. */
export type JsonObject = Record<string, unknown>;

// Contracts between the collectors and the rest of the server. The collectors only ever hand readings to
// the sink: they never write to the store or the live state themselves (docs/ARCHITECTURE.md §2, one path in).

import type { ConfigKind, Ctx } from '../core/schema.js';
import type { CatalogueModel, CollectorSettings, DeviceModel, Reading, SiteModel } from '../core/types.js';

export interface CollectorSink {
  /** into the one validated path in */
  accept(readings: Reading[]): void;
  /** reason: 'refused' | 'timeout' | 'closed mid-reply' | 'bad reply: …' */
  deviceError(device: string, reason: string, ts: number): void;
}

/**
 * The DeviceModel fields (and device config keys) that say where a polled device answers. A protocol that
 * speaks at one of these needs no change here; a new kind of endpoint is one more DeviceModel field.
 */
export type EndpointKey = 'address' | 'exporter' | 'redfish' | 'probe' | 'snmp';

/** Where a protocol's devices answer, as the config names it: read and checked by server/config/. */
export interface Endpoint {
  key: EndpointKey;
  /** the config kinds that may carry it */
  kinds: readonly ConfigKind[];
  /** one expanded value → what is wrong with it, or null when it can be polled */
  check(value: string): string | null;
  /** added to "only for kind …" when another kind carries it: where that kind's endpoint is */
  hint?: Partial<Record<ConfigKind, string>>;
  /**
   * An endpoint written as a block rather than a string (snmp: address, credentials, profile): reads it into
   * the address (checked and expanded like any endpoint) and the fields each device of the entry gets.
   */
  block?(c: Ctx, v: unknown, path: string, kind: ConfigKind | undefined): { address: string; extra: Partial<DeviceModel> } | undefined;
}

/** What a plugin's poll targets need from the scheduler. */
export interface PollContext {
  catalogue: Map<string, CatalogueModel>;
  /** this collector's settings as configured (its login, where it has one) */
  settings: Readonly<CollectorSettings>;
  sink: CollectorSink;
  now: () => number;
}

/** One poll loop: a miner, or an exporter with its GPUs. Never two polls of one target in flight. */
export interface PollTarget {
  key: string;
  devices: DeviceModel[];
  poll(timeout_ms: number): Promise<void>;
}

/**
 * One polled protocol, exported from its own file and listed in server/collectors/registry.ts. The
 * registry's key is the collector's name: in config (`collectors.<name>`, a device's `collector:`),
 * DeviceModel.collector, the scheduler's stats and the poll metrics' `collector` label.
 */
export interface CollectorPlugin {
  /** the settings when the config gives none */
  defaults: Readonly<CollectorSettings>;
  endpoint: Endpoint;
  /** this collector's devices → its poll targets (one per device, or grouped: dcgm by exporter URL) */
  targets(devices: DeviceModel[], ctx: PollContext): PollTarget[];
}

/** The usual grouping: one target per device that has the endpoint, its reading handed to the sink. */
export function onePerDevice(
  key: EndpointKey, poll: (device: DeviceModel, ctx: PollContext, timeout_ms: number) => Promise<Reading>,
): CollectorPlugin['targets'] {
  return (devices, ctx) => devices.filter((d) => d[key]).map((d) => ({
    key: d.id, devices: [d],
    poll: async (timeout_ms: number) => ctx.sink.accept([await poll(d, ctx, timeout_ms)]),
  }));
}

export interface SchedulerOptions {
  devices: DeviceModel[];
  catalogue: Map<string, CatalogueModel>;
  /** every registered collector's settings, by name (a site model's `collectors`) */
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
  /** collector name → when its last good poll ended (epoch ms, the scheduler's clock); absent = none yet */
  lastOk(): ReadonlyMap<string, number>;
}

/** A device-level failure with the short reason the API shows ('refused', 'timeout', 'bad reply: …'). */
export class CollectorError extends Error {
  constructor(public readonly reason: string) {
    super(reason);
    this.name = 'CollectorError';
  }
}

/** What a device said, before it is put in the vocabulary of docs/ARCHITECTURE.md §3. */
export type JsonObject = Record<string, unknown>;

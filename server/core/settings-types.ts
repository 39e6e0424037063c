// The settings the config sections become (docs/ARCHITECTURE.md §2): moved out of types.ts, which
// re-exports them, to keep that file under the 500 lines the layers test holds.

import type { DeviceKind } from './vocabulary.js';

export interface CollectorSettings {
  interval_s: number;
  timeout_ms: number;
  concurrency: number;
  /** the device login, for a protocol whose devices need one (braiins); absent for the others */
  login?: { username: string; password: string };
}

export interface AuthSettings {
  /** sha256 hex of each accepted ingest token, with the integrator's name */
  ingest_tokens: { name: string; sha256: string }[];
  read_token_sha256?: string;
  metrics_token_sha256?: string;
  /** browser origins allowed to call the API and socket.io from another origin; absent = same origin only */
  cors_origins?: string[];
  /** ingest requests per second per token (token bucket refill); absent = 1000 */
  ingest_rate_per_s?: number;
  /** ingest bucket size (requests allowed at once); absent = 2 × the rate */
  ingest_burst?: number;
}

export interface RetentionSettings {
  raw_hours: number;
  /** rack, hall and site minute rollups */
  minute_days: number;
  hour_days: number;
  /** device minute rollups (one row per device-minute: the bulk of the file); absent = 7 */
  device_minute_days?: number;
  /** compaction's window (server/store/compaction.ts): a divisor of an hour, or 2 or 4 h; absent = 60 */
  compact_window_min?: number;
  /** a window is compacted once it ended this long ago; absent = 15 */
  compact_grace_min?: number;
}

/** One Alertmanager Floorwatch sends to (config `alerting.alertmanagers[]`); HA peers are each sent to. */
export interface AlertmanagerTarget {
  /** base URL, e.g. http://am-1:9093 (the API is under /api/v2/) */
  url: string;
  /** Authorization: Bearer; at most one of bearer_token and basic_auth */
  bearer_token?: string;
  basic_auth?: { username: string; password: string };
  /** one request's limit (ms) */
  timeout_ms: number;
}

/** Config `alerting:`: where the alerts are pushed (server/notify/). Absent = nothing is sent. */
export interface AlertingSettings {
  alertmanagers: AlertmanagerTarget[];
  /** a firing alert is re-sent this often; its endsAt is 4 × this ahead */
  resend_s: number;
  /** how the wall is reached from outside (the generatorURL base); absent = from --host/--port */
  external_url?: string;
  /** notifications one Alertmanager's queue holds before the oldest is dropped */
  queue_capacity: number;
}

/** One remote-write store (config `remote_write[]`, server/remote/): Prometheus' remote_write block, units in the names. */
export interface RemoteWriteTarget {
  /** the label value in /metrics and /readyz: `name`, else the URL without user:password */
  name: string;
  /** the receiver's write endpoint, e.g. http://vm:8428/api/v1/write */
  url: string;
  /** Authorization: Bearer; at most one of bearer_token and basic_auth */
  bearer_token?: string;
  basic_auth?: { username: string; password: string };
  /** extra request headers (a tenant id: X-Scope-OrgID for Mimir, AccountID for VictoriaMetrics cluster…) */
  headers: Record<string, string>;
  /** one request's limit (s): Prometheus' remote_timeout */
  timeout_s: number;
  queue: {
    /** samples one shard holds before its oldest is dropped (Prometheus: per shard too) */
    capacity: number;
    max_shards: number;
    max_samples_per_send: number;
    /** a shard sends what it has after this long even when the batch is not full (s) */
    batch_send_deadline_s: number;
    /** back-off after a failed try (s), doubled per failure up to max_backoff_s */
    min_backoff_s: number;
    max_backoff_s: number;
  };
  /** absent = all: device samples of these kinds; series of these names (device and figure series alike) */
  include_kinds?: DeviceKind[];
  include_metrics?: string[];
}

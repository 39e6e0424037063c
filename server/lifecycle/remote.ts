// Remote write started with the server when the config has `remote_write:` (nothing at all otherwise):
// the ingest pipeline hands it each committed batch, each tick's figures follow the hub's tick, both
// under the background guard (a fault there is logged and counted, and never fails a push that is
// already committed, nor the tick); /metrics and /readyz read its counts and failures; close() stops it.

import type { SiteModel } from '../core/types.js';
import type { Hub } from '../live/hub.js';
import type { Logger } from '../log.js';
import type { StoredReading } from '../store/writer.js';
import { createRemoteWrite, type RemoteWrite } from '../remote/writer.js';
import type { BackgroundTasks } from './background.js';

export interface RemoteWriting {
  remote: RemoteWrite;
  /** the pipeline's `committed` hook */
  committed(rows: readonly StoredReading[]): void;
}

/** null without `remote_write:`. */
export function createRemoteWriting(model: SiteModel, logger: Logger, background: BackgroundTasks, hub: Hub): RemoteWriting | null {
  const targets = model.remote_write ?? [];
  if (targets.length === 0) return null;
  const remote = createRemoteWrite({ site: model.name, devices: model.devices, targets, log: (level, msg, fields) => logger[level](fields, msg) });
  hub.on('tick', (f) => void background.run('remote_write', () => remote.tick(f, f.site.ts)));
  return { remote, committed: (rows) => void background.run('remote_write', () => remote.committed(rows)) };
}

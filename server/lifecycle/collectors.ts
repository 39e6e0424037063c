// The collectors started with the server: they hand their readings to the same ingest pipeline as a
// push; a poll failure marks the device down with its reason (and counts it), and each collector's last
// good poll (kept by the scheduler) feeds the "collector stopped delivering" rule and /readyz.

import type { SiteModel } from '../core/types.js';
import type { LiveState } from '../live/state.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { Exposition } from '../exposition/prometheus.js';
import type { Logger } from '../log.js';
import { startScheduler } from '../collectors/scheduler.js';
import type { SchedulerHandle } from '../collectors/types.js';

export interface RunningCollectors {
  scheduler: SchedulerHandle;
  /** epoch ms of each collector's last successful poll */
  lastOk(): ReadonlyMap<string, number>;
}

/** null when the site polls nothing (every device pushes). */
export function startCollectors(opts: {
  model: SiteModel;
  pipeline: IngestPipeline;
  live: LiveState;
  exposition: Exposition;
  logger: Logger;
}): RunningCollectors | null {
  const { model, pipeline, live, exposition, logger } = opts;
  const polled = [...model.devices.values()].filter((d) => d.collector !== undefined);
  if (polled.length === 0) return null;
  const scheduler = startScheduler({
    devices: polled,
    catalogue: model.catalogue,
    settings: model.collectors,
    sink: {
      accept(readings) {
        pipeline.submit(readings).then(
          (r) => {
            if (r.rejected.length > 0) {
              logger.warn({ rejected: r.rejected.length, first: r.rejected[0] }, `collectors: ${r.rejected.length} values rejected, first: ${r.rejected[0].path}: ${r.rejected[0].error}`);
            }
          },
          (err: Error) => logger.error({ err: err.message }, `collectors: readings not stored: ${err.message}`),
        );
      },
      deviceError(device, reason, ts) {
        live.setError(device, reason, ts);
        const collector = model.devices.get(device)?.collector ?? 'unknown';
        exposition.pollFailures.inc({ collector, reason: reason.split(':')[0] });
      },
    },
    onPollDuration(collector, seconds) {
      exposition.pollDuration.observe({ collector }, seconds);
    },
  });
  return { scheduler, lastOk: () => scheduler.lastOk() };
}

// An ingest thread (compiled to dist/server/ingest/parse-thread.js; see parse-pool.ts): takes a push
// body's bytes, parses it (json.ts), checks its shape (push.ts) and validates its readings (batch.ts) as
// the main thread would, and answers with the good readings packed (validated.ts, the buffer transferred)
// and every error by path. It holds of the site only what validation needs: each device's id, kind and key.

import { parentPort, workerData } from 'node:worker_threads';
import type { DeviceIdentity, FieldError } from '../core/validate.js';
import { validateSlice } from './batch.js';
import { parseJsonBody } from './json.js';
import { pushReadings } from './push.js';
import { validatedWriter } from './validated.js';
import type { ParseReply, ParseRequest, ParseThreadData } from './parse-pool.js';

const data = workerData as ParseThreadData;
const port = parentPort;
if (port === null) throw new Error('parse-thread: not started as a worker thread');

const devices = new Map<string, DeviceIdentity>();
const keys = new Map<string, number>();
for (const [id, kind, key] of data.devices) {
  devices.set(id, { id, kind });
  keys.set(id, key);
}

function answer(m: ParseRequest): ParseReply {
  const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
  const parsed = parseJsonBody(body);
  if (!parsed.ok) return { id: m.id, ok: false, status: 400, error: parsed.error, field: parsed.field };
  const shape = pushReadings(parsed.value, m.maxReadings);
  if (!shape.ok) return { id: m.id, ok: false, status: shape.status, error: shape.error };
  const now = Date.now();
  const w = validatedWriter(shape.readings.length);
  const out = { errors: [] as FieldError[], samples: 0, add: w.add };
  validateSlice(shape.readings, 0, shape.readings.length, { devices, now, oldest_ts: now - data.rawRetentionMs }, keys, out);
  return { id: m.id, ok: true, rows: w.done(), errors: out.errors, samples: out.samples };
}

port.on('message', (m: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = answer(m);
  } catch (e) {
    reply = { id: m.id, ok: false, status: 500, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply, reply.ok ? [reply.rows.buf.buffer as ArrayBuffer] : []);
});

// One shard's queue of samples: a ring of fixed capacity, so memory is bounded whatever the store does,
// and a full queue drops its oldest sample for the new one (Prometheus blocks its WAL reader instead; here
// the readings are already committed to SQLite and there is nothing to block, so the newest data wins).
// Series by id: three typed arrays, no object per sample.

export interface Batch {
  ids: number[];
  ts: number[];
  values: number[];
}

export interface SampleQueue {
  readonly length: number;
  /** returns true when the oldest sample was dropped to make room */
  push(id: number, ts: number, value: number): boolean;
  /** takes up to n from the front, oldest first */
  take(n: number): Batch;
}

export function createSampleQueue(capacity: number): SampleQueue {
  // Allocated on the first sample: a shard no series hashes to costs nothing.
  let ids: Int32Array | null = null;
  let ts: Float64Array | null = null;
  let values: Float64Array | null = null;
  let head = 0;
  let length = 0;
  return {
    get length() {
      return length;
    },
    push(id, t, v) {
      if (ids === null || ts === null || values === null) {
        ids = new Int32Array(capacity);
        ts = new Float64Array(capacity);
        values = new Float64Array(capacity);
      }
      let dropped = false;
      if (length === capacity) {
        head = (head + 1) % capacity;
        length--;
        dropped = true;
      }
      const i = (head + length) % capacity;
      ids[i] = id;
      ts[i] = t;
      values[i] = v;
      length++;
      return dropped;
    },
    take(n) {
      const out: Batch = { ids: [], ts: [], values: [] };
      const k = Math.min(n, length);
      if (ids === null || ts === null || values === null) return out;
      for (let j = 0; j < k; j++) {
        const i = (head + j) % capacity;
        out.ids.push(ids[i]);
        out.ts.push(ts[i]);
        out.values.push(values[i]);
      }
      head = length === k ? 0 : (head + k) % capacity;
      length -= k;
      return out;
    },
  };
}

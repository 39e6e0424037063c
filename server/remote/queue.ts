// One shard's queue of samples: a ring of fixed capacity, so memory is bounded whatever the store does,
// and a full queue drops its oldest sample for the new one (Prometheus blocks its WAL reader instead; here
// the readings are already committed to SQLite and there is nothing to block, so the newest data wins).

/** What a queue and a sender need of a series: which shard it hashes to, and its labels as protobuf. */
export interface Series {
  id: number;
  /** the Label messages, encoded once (proto.ts encodeLabels) */
  encoded: readonly Uint8Array[];
}

export interface Batch {
  series: Series[];
  ts: number[];
  values: number[];
}

export interface SampleQueue {
  readonly length: number;
  /** returns true when the oldest sample was dropped to make room */
  push(series: Series, ts: number, value: number): boolean;
  /** takes up to n from the front, oldest first */
  take(n: number): Batch;
}

export function createSampleQueue(capacity: number): SampleQueue {
  // Allocated on the first sample: a shard no series hashes to costs nothing.
  let series: (Series | undefined)[] = [];
  let ts: Float64Array | null = null;
  let values: Float64Array | null = null;
  let head = 0;
  let length = 0;
  return {
    get length() {
      return length;
    },
    push(s, t, v) {
      if (ts === null || values === null) {
        ts = new Float64Array(capacity);
        values = new Float64Array(capacity);
        series = new Array<Series | undefined>(capacity);
      }
      let dropped = false;
      if (length === capacity) {
        head = (head + 1) % capacity;
        length--;
        dropped = true;
      }
      const i = (head + length) % capacity;
      series[i] = s;
      ts[i] = t;
      values[i] = v;
      length++;
      return dropped;
    },
    take(n) {
      const out: Batch = { series: [], ts: [], values: [] };
      const k = Math.min(n, length);
      for (let j = 0; j < k; j++) {
        const i = (head + j) % capacity;
        out.series.push(series[i] as Series);
        out.ts.push((ts as Float64Array)[i]);
        out.values.push((values as Float64Array)[i]);
        series[i] = undefined;
      }
      head = length === k ? 0 : (head + k) % capacity;
      length -= k;
      return out;
    },
  };
}

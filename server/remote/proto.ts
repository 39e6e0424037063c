// Remote write 1.0 on the wire (https://prometheus.io/docs/specs/prw/remote_write_spec/): a WriteRequest
// protobuf, snappy block-compressed, POSTed with the spec's headers. The messages are those of
// prometheus/prometheus prompb/remote.proto (WriteRequest: field 1 timeseries) and prompb/types.proto
// (TimeSeries: 1 labels, 2 samples; Label: 1 name, 2 value; Sample: 1 value as double, 2 timestamp as int64
// ms), declared here as protobufjs reflection JSON rather than generated code (four small messages).
// protobufjs and snappy (napi-rs, the native snappy in a registry binary) are the two packages: see the
// commit that added them for why these.

import protobuf from 'protobufjs';
import { compressSync, uncompressSync } from 'snappy';

export interface Label {
  name: string;
  value: string;
}

export interface Sample {
  value: number;
  /** epoch ms */
  timestamp: number;
}

export interface TimeSeries {
  /** sorted by name, none empty (the spec's MUSTs) */
  labels: readonly Label[];
  samples: readonly Sample[];
}

export interface WriteRequest {
  timeseries: readonly TimeSeries[];
}

const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: { fields: { labels: { rule: 'repeated', type: 'Label', id: 1 }, samples: { rule: 'repeated', type: 'Sample', id: 2 } } },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
});
const writeRequestType = root.lookupType('prometheus.WriteRequest');

/** The headers every request carries (the spec's, plus who we are). */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': 'Floorwatch',
};

/** A series' Label messages, encoded once when the series is made (protobufjs' Writer). */
export function encodeLabels(labels: readonly Label[]): Uint8Array[] {
  return labels.map((l) => protobuf.Writer.create().uint32(TAG_1_LEN).string(l.name).uint32(TAG_2_LEN).string(l.value).finish());
}

/** Field tags: (field number << 3) | wire type (2 = length-delimited, 1 = 64-bit, 0 = varint). */
const TAG_1_LEN = (1 << 3) | 2;
const TAG_2_LEN = (2 << 3) | 2;
const TAG_1_I64 = (1 << 3) | 1;
const TAG_2_VARINT = (2 << 3) | 0;

export interface EncodedSeries {
  /** encodeLabels() of the series */
  labels: readonly Uint8Array[];
  samples: readonly Sample[];
}

/**
 * The request body: a WriteRequest, then snappy's block format (not its framed format: the spec says so).
 * Written field by field with protobufjs' Writer from each series' Label messages encoded once, rather
 * than from plain objects through the reflected type (encodeWriteRequest): the labels are most of the
 * bytes and never change, and this is 3× faster on the main thread (1 against 3.4 µs a sample, measured
 * on 2,000-series batches). A unit test checks the two give the same bytes.
 */
export function encodeSeries(series: readonly EncodedSeries[]): Buffer {
  const w = protobuf.Writer.create();
  for (const s of series) {
    w.uint32(TAG_1_LEN).fork();
    for (const l of s.labels) w.uint32(TAG_1_LEN).bytes(l);
    for (const x of s.samples) w.uint32(TAG_2_LEN).fork().uint32(TAG_1_I64).double(x.value).uint32(TAG_2_VARINT).int64(x.timestamp).ldelim();
    w.ldelim();
  }
  return compressSync(w.finish());
}

/** The same from plain objects through the reflected type: the reference encodeSeries is tested against. */
export function encodeWriteRequest(req: WriteRequest): Buffer {
  // protobufjs reads the plain object field by field; verify() is skipped (the values are ours, typed).
  return compressSync(writeRequestType.encode(req as unknown as Record<string, unknown>).finish());
}

/** The other way (tests and the fake receivers): snappy, then protobuf; int64 timestamps as numbers. */
export function decodeWriteRequest(body: Uint8Array): WriteRequest {
  const raw = uncompressSync(body, { asBuffer: true }) as Buffer;
  const msg = writeRequestType.decode(raw);
  return writeRequestType.toObject(msg, { longs: Number, defaults: true, arrays: true }) as WriteRequest;
}

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

/** The request body: protobuf, then snappy's block format (not its framed format: the spec says so). */
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

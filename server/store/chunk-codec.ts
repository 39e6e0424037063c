// One device's closed window of raw readings as one compressed blob (issue 15): the timestamps and every
// metric column, lossless to the bit. Pure: no I/O, no SQLite; the compaction step stores what this returns.
//
// Layout (all integers are LEB128 varints, signed ones zigzag-mapped first):
//   outer  = version (1 byte) | compressor (1 byte) | inner length (varint) | the compressed inner bytes |
//            CRC-32 of everything before it (4 bytes LE)
//   inner  = rows | columns | timestamps | each column in order
//   timestamps: first (zigzag), first delta, then each delta of delta (zigzag): a regular interval is a
//            run of zero bytes, which the compressor turns into next to nothing
//   column = tag (encoding | presence << 4) | presence | values of the present rows
//            presence: none (all present), runs (alternating present/null run lengths) or a bitmap,
//            whichever is fewer bytes
//            encodings: all null; constant (a scaled decimal or the 8 bytes of the double); scaled
//            decimal (exponent e, then the integers m = v·10^e raw, as deltas or as deltas of deltas);
//            Gorilla XOR of the float64 bits (Prometheus' chunk encoding) for what no decimal fits.
//
// The decimal path is VictoriaMetrics' idea: a device reports 23.4 °C, not 23.39999999999999857891; as
// m = 234, e = 1 it is one small integer, and a slowly moving one is a delta of 0 or ±1. A value is taken
// as decimal only after checking that m / 10^e (what the decoder computes) is the same double, bit for
// bit (so -0, 0.1 + 0.2 and 1e-300 go to Gorilla instead of coming back different).
//
// Decoding trusts nothing: the CRC covers the whole blob (deflate-raw and brotli carry no checksum, so a
// flipped byte could otherwise inflate to plausible numbers; a CRC-32 catches every error burst up to 32
// bits, so every single flipped byte and every cut is refused before anything is inflated), the declared
// inner length bounds the decompressor, every read is bounds-checked and the inner bytes must be used up
// exactly.

import { brotliCompressSync, brotliDecompressSync, constants as zc, deflateRawSync, inflateRawSync } from 'node:zlib';
import { ByteReader, ByteWriter, ChunkCorruptError, crc32 } from './chunk-bits.js';
import { decodeColumn, encodeColumn, INT_LIMIT, scratchFor, type ColumnEncoding } from './chunk-columns.js';

export { ChunkCorruptError, crc32 } from './chunk-bits.js';
export { MAX_DECIMAL_EXPONENT, type ColumnEncoding } from './chunk-columns.js';

export const CHUNK_FORMAT_VERSION = 1;

/** How the inner bytes are compressed; the decoder reads which from the header. */
export type ChunkCompressor =
  | { kind: 'none' }
  | { kind: 'deflate'; level: number }
  | { kind: 'brotli'; quality: number };

/**
 * The default, chosen by `node dist/test/bench/run.js codec` (972 devices, 60-minute windows at 10 s,
 * device-like precision, one thread of the shared 2-core box, three runs): bytes per sample, encode and
 * decode in M samples/s:
 *   deflate-raw 1  0.415  10–12  16–24    brotli 1   0.413  10–13  18–23
 *   deflate-raw 6  0.397   9–11  20–30    brotli 4   0.371   8–10  16–25
 *   deflate-raw 9  0.397   8–10  19–30    brotli 6   0.368   9–10  17–18
 *                                         brotli 11  0.327   0.66  18–24
 * Brotli 4 is 6.5 % smaller than the best deflate there for about the same encode and decode (18–25 M
 * samples/s: a day of one miner, 112 k samples, in about 5 ms). But on the ingest bench's moving integers
 * and on full-precision doubles deflate-raw 6 won (0.176 against 0.216, 1.085 against 1.167 B/sample),
 * so each window is compressed both ways and keeps the smaller: encoding costs both passes (measured
 * 6.5–7.7 M samples/s, a 100,000-device site's 130 k samples/s in 2 % of a core), decoding one. Brotli 11
 * saves another 12 % for 15× the encode time: left out.
 */
export const DEFAULT_COMPRESSOR: readonly ChunkCompressor[] = [{ kind: 'brotli', quality: 4 }, { kind: 'deflate', level: 6 }];

export interface ChunkColumns {
  /** epoch ms, integers, strictly ascending */
  ts: Float64Array;
  /** one per metric, each ts.length long; NaN = null */
  columns: Float64Array[];
}

const COMPRESSOR_CODE = { none: 0, deflate: 1, brotli: 2 } as const;

function checkInput(w: ChunkColumns): void {
  const rows = w.ts.length;
  for (let i = 0; i < rows; i++) {
    const t = w.ts[i];
    if (!Number.isInteger(t) || Math.abs(t) > INT_LIMIT) throw new RangeError(`chunk: timestamp ${t} at row ${i} is not an integer within ±2^49 ms`);
    if (i > 0 && !(t > w.ts[i - 1])) throw new RangeError(`chunk: timestamps must be strictly ascending (row ${i}: ${t} after ${w.ts[i - 1]})`);
  }
  w.columns.forEach((c, j) => {
    if (c.length !== rows) throw new RangeError(`chunk: column ${j} has ${c.length} values for ${rows} timestamps`);
  });
}

/** The inner (uncompressed) bytes of a window; `encodings` collects each column's choice when given. */
export function encodeChunkInner(w: ChunkColumns, encodings?: ColumnEncoding[]): Uint8Array {
  checkInput(w);
  const rows = w.ts.length;
  const out = new ByteWriter(16 + rows * (1 + w.columns.length));
  out.varint(rows);
  out.varint(w.columns.length);
  const ts = w.ts;
  if (rows > 0) out.zigzag(ts[0]);
  if (rows > 1) out.varint(ts[1] - ts[0]);
  for (let i = 2; i < rows; i++) out.zigzag(ts[i] - 2 * ts[i - 1] + ts[i - 2]);
  const s = scratchFor(rows);
  for (const c of w.columns) encodeColumn(c, rows, out, s, encodings);
  return out.done();
}

function compress(inner: Uint8Array, c: ChunkCompressor): Uint8Array {
  switch (c.kind) {
    case 'none': return inner;
    case 'deflate': return deflateRawSync(inner, { level: c.level });
    case 'brotli': return brotliCompressSync(inner, {
      params: {
        [zc.BROTLI_PARAM_QUALITY]: c.quality,
        [zc.BROTLI_PARAM_SIZE_HINT]: inner.length,
        [zc.BROTLI_PARAM_LGWIN]: Math.max(zc.BROTLI_MIN_WINDOW_BITS, Math.min(zc.BROTLI_MAX_WINDOW_BITS, Math.ceil(Math.log2(inner.length + 1)))),
      },
    });
  }
}

/**
 * Encodes one device's window into one blob. Throws RangeError on input the format cannot hold
 * (timestamps not strictly ascending integers, a column of the wrong length). A window the compressor
 * would not shrink is stored uncompressed (its header says so).
 */
export function encodeChunk(w: ChunkColumns, opts: { compressor?: ChunkCompressor | readonly ChunkCompressor[]; encodings?: ColumnEncoding[] } = {}): Uint8Array {
  const inner = encodeChunkInner(w, opts.encodings);
  const tries = opts.compressor ?? DEFAULT_COMPRESSOR;
  let comp: ChunkCompressor = { kind: 'none' };
  let body = inner;
  for (const c of 'kind' in tries ? [tries] : tries) {
    if (c.kind === 'none') continue;
    const b = compress(inner, c);
    if (b.length < body.length) {
      comp = c;
      body = b;
    }
  }
  const out = new ByteWriter(body.length + 16);
  out.byte(CHUNK_FORMAT_VERSION);
  out.byte(COMPRESSOR_CODE[comp.kind]);
  out.varint(inner.length);
  out.bytes(body);
  const crc = crc32(out.done());
  out.byte(crc & 0xff);
  out.byte((crc >>> 8) & 0xff);
  out.byte((crc >>> 16) & 0xff);
  out.byte(crc >>> 24);
  return out.done().slice();
}

// ---------------------------------------------------------------------------------------------------
// Decoding

/** The inner bytes of a blob, after checking its CRC and the inflated length against the header. */
function innerOf(blob: Uint8Array): Uint8Array {
  const r = new ByteReader(blob, 0, Math.max(0, blob.length - 4));
  const version = r.byte('the version');
  if (version !== CHUNK_FORMAT_VERSION) throw new ChunkCorruptError(`unknown format version ${version} (this code reads ${CHUNK_FORMAT_VERSION})`);
  if (blob.length < 7) throw new ChunkCorruptError(`truncated: ${blob.length} bytes`);
  const end = blob.length - 4;
  const crc = (blob[end] | (blob[end + 1] << 8) | (blob[end + 2] << 16) | (blob[end + 3] << 24)) >>> 0;
  if (crc32(blob.subarray(0, end)) !== crc) throw new ChunkCorruptError('CRC mismatch (corrupt or truncated)');
  const comp = r.byte('the compressor');
  const length = r.varint('the inner length');
  const body = blob.subarray(r.pos, end);
  let inner: Uint8Array;
  try {
    if (comp === COMPRESSOR_CODE.none) inner = body;
    // maxOutputLength: a stream cannot inflate past what the header promised
    else if (comp === COMPRESSOR_CODE.deflate) inner = inflateRawSync(body, { maxOutputLength: Math.max(1, length) });
    else if (comp === COMPRESSOR_CODE.brotli) inner = brotliDecompressSync(body, { maxOutputLength: Math.max(1, length) });
    else throw new ChunkCorruptError(`unknown compressor code ${comp}`);
  } catch (e) {
    if (e instanceof ChunkCorruptError) throw e;
    throw new ChunkCorruptError(`does not decompress (${e instanceof Error ? e.message : String(e)})`);
  }
  if (inner.length !== length) throw new ChunkCorruptError(`inner length ${inner.length}, header says ${length}`);
  return inner;
}

export function decodeChunk(blob: Uint8Array): ChunkColumns {
  const inner = innerOf(blob);
  const r = new ByteReader(inner);
  const rows = r.varint('the row count');
  const ncols = r.varint('the column count');
  // every row past the first costs at least a byte of timestamp, every column a tag byte
  if (rows > inner.length || ncols > inner.length) throw new ChunkCorruptError(`${rows} rows, ${ncols} columns in ${inner.length} bytes`);
  const ts = new Float64Array(rows);
  if (rows > 0) ts[0] = r.zigzag('the first timestamp');
  if (rows > 1) {
    let d = r.varint('the first interval');
    if (d === 0) throw new ChunkCorruptError('timestamps not ascending');
    ts[1] = ts[0] + d;
    for (let i = 2; i < rows; i++) {
      d += r.zigzag('the timestamps');
      if (d <= 0) throw new ChunkCorruptError('timestamps not ascending');
      ts[i] = ts[i - 1] + d;
    }
  }
  for (let i = 0; i < rows; i++) if (Math.abs(ts[i]) > INT_LIMIT) throw new ChunkCorruptError('timestamp out of range');
  const idx = new Uint32Array(rows);
  const columns: Float64Array[] = [];
  for (let j = 0; j < ncols; j++) columns.push(decodeColumn(r, rows, idx, j));
  if (r.pos !== inner.length) throw new ChunkCorruptError(`${inner.length - r.pos} bytes left over after the last column`);
  return { ts, columns };
}

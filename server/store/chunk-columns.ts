// One column of a chunk (chunk-codec.ts): its null runs or bitmap and its values, as all null, a constant, a
// scaled decimal in one of four integer forms, or Gorilla XOR. Pure; split out of chunk-codec.ts to keep each
// file under the 500 lines layers.test.ts allows.

import { ByteReader, ByteWriter, ChunkCorruptError, gorillaDecode, gorillaEncode, varintLen, zz } from './chunk-bits.js';

/** What each column was encoded as (for the bench and the tests). */
export type ColumnEncoding = 'null' | 'const' | 'decimal-offset' | 'decimal-delta' | 'decimal-dod' | 'decimal-delta-runs' | 'gorilla';
const DECIMAL_FORM_NAMES: ColumnEncoding[] = ['decimal-offset', 'decimal-delta', 'decimal-dod', 'decimal-delta-runs'];

// Column encodings (low nibble of the tag) and presence forms (high nibble).
const ENC_NULL = 0;
const ENC_CONST_F64 = 1;
const ENC_CONST_DEC = 2;
const ENC_DECIMAL = 3;
const ENC_GORILLA = 4;
const PRES_ALL = 0;
const PRES_RUNS = 1;
const PRES_BITMAP = 2;
// decimal forms: offsets from the window's minimum (frame of reference), deltas, deltas of deltas
const MODE_OFFSET = 0;
const MODE_DELTA = 1;
const MODE_DOD = 2;
// deltas with each run of zero deltas as a 0 byte and the run's length - 1: for a reading that sits
// still most ticks (a 0.1 °C sensor, a fan at a set speed), where a Huffman coder spends at least a bit
// on every zero delta.
const MODE_DELTA_RUNS = 3;

/** Exponents tried for the decimal form: 10^15 still scales a 0–100 % reading with 1e-13 steps exactly. */
export const MAX_DECIMAL_EXPONENT = 15;
/**
 * Largest |m| taken as decimal (and largest |ts|): deltas of deltas of numbers below 2^49 stay below 2^51,
 * zigzagged below 2^52, so every step is exact in a double without BigInt. 2^49 ms is the year 19,800.
 */
export const INT_LIMIT = 2 ** 49;
const POW10 = Array.from({ length: MAX_DECIMAL_EXPONENT + 1 }, (_, e) => 10 ** e);

// ---------------------------------------------------------------------------------------------------
// Encoding

/** The smallest e with every value exactly m / 10^e for an integer |m| ≤ INT_LIMIT (what decode computes), or -1. */
function decimalExponent(vals: Float64Array, k: number): number {
  for (let e = 0; e <= MAX_DECIMAL_EXPONENT; e++) {
    const p = POW10[e];
    let ok = true;
    for (let i = 0; i < k; i++) {
      const v = vals[i];
      // + 0 turns -0 into 0, so -0 itself fails the check and goes to Gorilla
      const m = Math.round(v * p) + 0;
      if (!(Math.abs(m) <= INT_LIMIT) || !Object.is(m / p, v)) {
        ok = false;
        break;
      }
    }
    if (ok) return e;
  }
  return -1;
}

export interface Scratch {
  vals: Float64Array;
  ints: Float64Array;
  /** one writer per decimal form, indexed by MODE_* */
  forms: ByteWriter[];
  gorilla: ByteWriter;
  hist: Uint32Array;
}

export function scratchFor(rows: number): Scratch {
  return {
    vals: new Float64Array(rows), ints: new Float64Array(rows),
    forms: [0, 1, 2, 3].map(() => new ByteWriter(rows * 2 + 16)), gorilla: new ByteWriter(rows * 9 + 16), hist: new Uint32Array(256),
  };
}

/**
 * Bits a Huffman coder needs for `b` (order-0 entropy, but never under 1 bit a byte: a Huffman code has
 * no shorter codes, so plain entropy called a 91 %-zero delta stream 24 bytes where deflate made 135).
 */
function entropyBits(b: Uint8Array, hist: Uint32Array): number {
  hist.fill(0);
  for (let i = 0; i < b.length; i++) hist[b[i]]++;
  const n = b.length;
  let bits = 0;
  for (let i = 0; i < 256; i++) {
    const c = hist[i];
    if (c > 0) bits += c * Math.max(1, Math.log2(n / c));
  }
  return bits;
}

function encodePresence(col: Float64Array, rows: number, k: number, out: ByteWriter): number {
  if (k === rows) return PRES_ALL;
  // runs: alternating present / null lengths, starting with a present run (possibly 0)
  let runsBytes = 0;
  let runs = 0;
  let present = true;
  let len = 0;
  for (let i = 0; i < rows; i++) {
    const p = col[i] === col[i]; // not NaN
    if (p === present) {
      len++;
    } else {
      runsBytes += varintLen(len);
      runs++;
      present = p;
      len = 1;
    }
  }
  runsBytes += varintLen(len) + varintLen(runs + 1);
  const bitmapBytes = (rows + 7) >> 3;
  if (runsBytes <= bitmapBytes) {
    out.varint(runs + 1);
    present = true;
    len = 0;
    for (let i = 0; i < rows; i++) {
      const p = col[i] === col[i];
      if (p === present) {
        len++;
      } else {
        out.varint(len);
        present = p;
        len = 1;
      }
    }
    out.varint(len);
    return PRES_RUNS;
  }
  out.ensure(bitmapBytes);
  const b = out.buf;
  const o = out.pos;
  b.fill(0, o, o + bitmapBytes);
  for (let i = 0; i < rows; i++) if (col[i] === col[i]) b[o + (i >> 3)] |= 1 << (i & 7);
  out.pos += bitmapBytes;
  return PRES_BITMAP;
}

export function encodeColumn(col: Float64Array, rows: number, out: ByteWriter, s: Scratch, encodings?: ColumnEncoding[]): void {
  const vals = s.vals;
  let k = 0;
  for (let i = 0; i < rows; i++) {
    const v = col[i];
    if (v === v) vals[k++] = v;
  }
  if (k === 0) {
    out.byte(ENC_NULL);
    encodings?.push('null');
    return;
  }
  const tagAt = out.pos;
  out.byte(0);
  const pres = encodePresence(col, rows, k, out);
  let enc = ENC_GORILLA;

  const first = vals[0];
  let constant = true;
  for (let i = 1; i < k; i++) {
    if (!Object.is(vals[i], first)) {
      constant = false;
      break;
    }
  }
  const e = decimalExponent(vals, k);
  if (constant) {
    const m = e < 0 ? 0 : Math.round(first * POW10[e]) + 0;
    if (e >= 0 && 1 + varintLen(zz(m)) < 8) {
      enc = ENC_CONST_DEC;
      out.byte(e);
      out.zigzag(m);
    } else {
      enc = ENC_CONST_F64;
      out.ensure(8);
      new DataView(out.buf.buffer, out.buf.byteOffset).setFloat64(out.pos, first, true);
      out.pos += 8;
    }
    encodings?.push('const');
  } else {
    let chosen = -1;
    if (e >= 0) {
      const ints = s.ints;
      const p = POW10[e];
      let min = Infinity;
      for (let i = 0; i < k; i++) {
        const m = (ints[i] = Math.round(vals[i] * p) + 0);
        if (m < min) min = m;
      }
      // Each form written out, and the one whose bytes carry the least information (order-0 entropy,
      // about what the compressor's Huffman stage makes of them) kept. Counting varint bytes instead
      // picked deltas for noise around a level (uniform ±0.5 TH/s at 0.01: 6.6 bits a value as offsets
      // from the minimum, 7.6 as deltas) and tied everything that fits a byte.
      const forms = s.forms;
      for (const f of forms) f.pos = 0;
      forms[MODE_OFFSET].zigzag(min);
      for (let i = 0; i < k; i++) forms[MODE_OFFSET].varint(ints[i] - min);
      forms[MODE_DELTA].zigzag(ints[0]);
      forms[MODE_DOD].zigzag(ints[0]);
      const runs = forms[MODE_DELTA_RUNS];
      runs.zigzag(ints[0]);
      let zeros = 0;
      for (let i = 1; i < k; i++) {
        const d = ints[i] - ints[i - 1];
        forms[MODE_DELTA].zigzag(d);
        forms[MODE_DOD].zigzag(i === 1 ? d : d - (ints[i - 1] - ints[i - 2]));
        if (d === 0) zeros++;
        else {
          if (zeros > 0) {
            runs.byte(0);
            runs.varint(zeros - 1);
            zeros = 0;
          }
          runs.zigzag(d);
        }
      }
      if (zeros > 0) {
        runs.byte(0);
        runs.varint(zeros - 1);
      }
      let bits = Infinity;
      for (let mode = 0; mode < forms.length; mode++) {
        const b = entropyBits(forms[mode].done(), s.hist);
        if (b < bits) {
          bits = b;
          chosen = mode;
        }
      }
      // Gorilla costs 1 bit an unchanged value and usually 2–8 bytes a changed one, and is left as it is
      // by the compressor: only a decimal this expensive (many digits) is worth comparing with it.
      if (bits > 24 * k) {
        const g = s.gorilla;
        g.pos = 0;
        gorillaEncode(vals, k, g);
        if (g.pos * 8 < bits) chosen = -1;
      }
      if (chosen >= 0) {
        enc = ENC_DECIMAL;
        out.byte(e | (chosen << 4));
        out.bytes(forms[chosen].done());
        encodings?.push(DECIMAL_FORM_NAMES[chosen]);
      }
    }
    if (chosen < 0) {
      const g = new ByteWriter(k * 9);
      gorillaEncode(vals, k, g);
      out.varint(g.pos);
      out.bytes(g.done());
      encodings?.push('gorilla');
    }
  }
  out.buf[tagAt] = enc | (pres << 4);
}

function decodePresence(r: ByteReader, pres: number, rows: number, idx: Uint32Array): number {
  let k = 0;
  if (pres === PRES_RUNS) {
    const runs = r.varint('the null runs');
    if (runs > rows + 1) throw new ChunkCorruptError('more null runs than rows');
    let at = 0;
    for (let j = 0; j < runs; j++) {
      const len = r.varint('a null run');
      if (len > rows - at) throw new ChunkCorruptError('null runs cover more than the rows');
      if (j % 2 === 0) for (let i = 0; i < len; i++) idx[k++] = at + i;
      at += len;
    }
    if (at !== rows) throw new ChunkCorruptError('null runs do not cover the rows');
  } else if (pres === PRES_BITMAP) {
    const bits = r.take((rows + 7) >> 3, 'the null bitmap');
    for (let i = 0; i < rows; i++) if (bits[i >> 3] & (1 << (i & 7))) idx[k++] = i;
  } else {
    throw new ChunkCorruptError(`unknown presence form ${pres}`);
  }
  if (k === 0) throw new ChunkCorruptError('a column with nulls says none present');
  return k;
}

export function decodeColumn(r: ByteReader, rows: number, idx: Uint32Array, j: number): Float64Array {
  const out = new Float64Array(rows).fill(NaN);
  const tag = r.byte(`column ${j}'s tag`);
  const enc = tag & 0x0f;
  const pres = tag >> 4;
  if (enc === ENC_NULL) {
    if (pres !== PRES_ALL) throw new ChunkCorruptError(`column ${j}: all-null with a presence form`);
    return out;
  }
  if (rows === 0) throw new ChunkCorruptError(`column ${j}: values in a window of no rows`);
  let k = rows;
  let at: Uint32Array | null = null;
  if (pres !== PRES_ALL) {
    k = decodePresence(r, pres, rows, idx);
    at = idx;
  }
  const put = (i: number, v: number): void => {
    out[at === null ? i : at[i]] = v;
  };
  if (enc === ENC_CONST_F64) {
    const b = r.take(8, `column ${j}'s constant`);
    const v = new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
    if (v !== v) throw new ChunkCorruptError(`column ${j}: NaN constant`);
    for (let i = 0; i < k; i++) put(i, v);
  } else if (enc === ENC_CONST_DEC) {
    const e = r.byte(`column ${j}'s exponent`);
    if (e > MAX_DECIMAL_EXPONENT) throw new ChunkCorruptError(`column ${j}: exponent ${e}`);
    const m = r.zigzag(`column ${j}'s constant`);
    const v = m / POW10[e];
    for (let i = 0; i < k; i++) put(i, v);
  } else if (enc === ENC_DECIMAL) {
    const em = r.byte(`column ${j}'s exponent`);
    const e = em & 0x0f;
    const mode = em >> 4;
    if (e > MAX_DECIMAL_EXPONENT || mode > MODE_DELTA_RUNS) throw new ChunkCorruptError(`column ${j}: exponent/mode byte ${em}`);
    const p = POW10[e];
    let m = 0;
    let d = 0;
    const base = mode === MODE_OFFSET ? r.zigzag(`column ${j}'s minimum`) : 0;
    for (let i = 0; i < k; i++) {
      if (mode === MODE_DELTA_RUNS && i > 0) {
        const z = r.varint(`column ${j}'s values`);
        if (z === 0) {
          const run = r.varint(`column ${j}'s zero run`) + 1;
          if (run > k - i) throw new ChunkCorruptError(`column ${j}: zero run past the last value`);
          for (let n = 0; n < run; n++) put(i + n, m / p);
          i += run - 1;
          continue;
        }
        m += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
        if (!(Math.abs(m) <= INT_LIMIT)) throw new ChunkCorruptError(`column ${j}: decimal out of range`);
        put(i, m / p);
        continue;
      }
      const z = mode === MODE_OFFSET ? r.varint(`column ${j}'s values`) : r.zigzag(`column ${j}'s values`);
      if (mode === MODE_OFFSET) m = base + z;
      else if (i === 0) m = z;
      else if (mode === MODE_DELTA || i === 1) {
        d = z;
        m += d;
      } else {
        d += z;
        m += d;
      }
      if (!(Math.abs(m) <= INT_LIMIT)) throw new ChunkCorruptError(`column ${j}: decimal out of range`);
      put(i, m / p);
    }
  } else if (enc === ENC_GORILLA) {
    const len = r.varint(`column ${j}'s Gorilla length`);
    const start = r.pos;
    r.take(len, `column ${j}'s Gorilla stream`);
    gorillaDecode(r.buf, start, start + len, k, out, at);
    for (let i = 0; i < k; i++) if (out[at === null ? i : at[i]] !== out[at === null ? i : at[i]]) throw new ChunkCorruptError(`column ${j}: NaN in a present row`);
  } else {
    throw new ChunkCorruptError(`column ${j}: unknown encoding ${enc}`);
  }
  return out;
}

/** Decodes a blob from encodeChunk; throws ChunkCorruptError on anything corrupt or truncated. */

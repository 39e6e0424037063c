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
 * so each window is compressed both ways and keeps the smaller: encoding costs both passes (still about
 * 5 M samples/s, a 100,000-device site's 130 k samples/s in under 3 % of a core), decoding one. Brotli 11
 * saves another 12 % for 15× the encode time: left out.
 */
export const DEFAULT_COMPRESSOR: readonly ChunkCompressor[] = [{ kind: 'brotli', quality: 4 }, { kind: 'deflate', level: 6 }];

export interface ChunkColumns {
  /** epoch ms, integers, strictly ascending */
  ts: Float64Array;
  /** one per metric, each ts.length long; NaN = null */
  columns: Float64Array[];
}

export class ChunkCorruptError extends Error {
  constructor(message: string) {
    super(`chunk: ${message}`);
    this.name = 'ChunkCorruptError';
  }
}

/** What each column was encoded as (for the bench and the tests). */
export type ColumnEncoding = 'null' | 'const' | 'decimal-offset' | 'decimal-delta' | 'decimal-dod' | 'decimal-delta-runs' | 'gorilla';
const DECIMAL_FORM_NAMES: ColumnEncoding[] = ['decimal-offset', 'decimal-delta', 'decimal-dod', 'decimal-delta-runs'];

const COMPRESSOR_CODE = { none: 0, deflate: 1, brotli: 2 } as const;

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
const INT_LIMIT = 2 ** 49;
const POW10 = Array.from({ length: MAX_DECIMAL_EXPONENT + 1 }, (_, e) => 10 ** e);

// ---------------------------------------------------------------------------------------------------
// Bytes

class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(64, size));
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }
  /** 0 ≤ n < 2^53, an integer */
  varint(n: number): void {
    this.ensure(8);
    const b = this.buf;
    let p = this.pos;
    while (n >= 0x80000000) {
      b[p++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    while (n > 0x7f) {
      b[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    b[p++] = n;
    this.pos = p;
  }
  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

function varintLen(n: number): number {
  let len = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

const zz = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

class ByteReader {
  pos: number;
  constructor(readonly buf: Uint8Array, pos = 0, readonly end = buf.length) {
    this.pos = pos;
  }
  byte(what: string): number {
    if (this.pos >= this.end) throw new ChunkCorruptError(`truncated reading ${what}`);
    return this.buf[this.pos++];
  }
  varint(what: string): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new ChunkCorruptError(`truncated reading ${what}`);
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (v > Number.MAX_SAFE_INTEGER) break;
        return v;
      }
      mul *= 128;
    }
    throw new ChunkCorruptError(`varint too long reading ${what}`);
  }
  zigzag(what: string): number {
    const z = this.varint(what);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  take(n: number, what: string): Uint8Array {
    if (n > this.end - this.pos) throw new ChunkCorruptError(`truncated reading ${what}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Little-endian halves of the double in f64: every platform Node runs on; checked once here.
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

// CRC-32 (IEEE), table-driven: zlib.crc32 only exists from Node 20.15 and engines says >=20.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// Gorilla XOR (Pelkonen et al., "Gorilla", VLDB 2015; Prometheus' XOR chunks): the first double whole,
// then each one's XOR with the one before: '0' when equal, '10' + the meaningful bits when they fit the
// previous leading/trailing-zero window, else '11' + 5 bits of leading zeros + 6 bits of length - 1 + bits.

class BitWriter {
  private acc = 0;
  private n = 0;
  constructor(private readonly out: ByteWriter) {}
  /** v unsigned, below 2^bits; bits ≤ 32 */
  write(v: number, bits: number): void {
    if (bits > 16) {
      this.write(Math.floor(v / 65536), bits - 16);
      this.write(v & 0xffff, 16);
      return;
    }
    this.acc = (this.acc << bits) | v;
    this.n += bits;
    while (this.n >= 8) {
      this.n -= 8;
      this.out.byte((this.acc >>> this.n) & 0xff);
    }
    this.acc &= (1 << this.n) - 1;
  }
  flush(): void {
    if (this.n > 0) this.out.byte((this.acc << (8 - this.n)) & 0xff);
    this.acc = 0;
    this.n = 0;
  }
}

class BitReader {
  private acc = 0;
  private n = 0;
  private pos: number;
  constructor(private readonly buf: Uint8Array, start: number, private readonly end: number) {
    this.pos = start;
  }
  read(bits: number): number {
    if (bits > 16) {
      const hi = this.read(bits - 16);
      return hi * 65536 + this.read(16);
    }
    while (this.n < bits) {
      if (this.pos >= this.end) throw new ChunkCorruptError('truncated Gorilla stream');
      this.acc = (this.acc << 8) | this.buf[this.pos++];
      this.n += 8;
    }
    this.n -= bits;
    const v = (this.acc >>> this.n) & ((1 << bits) - 1);
    this.acc &= (1 << this.n) - 1;
    return v;
  }
}

const ctz32 = (x: number): number => 31 - Math.clz32(x & -x);

function gorillaEncode(vals: Float64Array, k: number, out: ByteWriter): void {
  const bw = new BitWriter(out);
  f64[0] = vals[0];
  let phi = u32[HI];
  let plo = u32[LO];
  bw.write(phi, 32);
  bw.write(plo, 32);
  let pLead = -1;
  let pTrail = 0;
  for (let i = 1; i < k; i++) {
    f64[0] = vals[i];
    const hi = u32[HI];
    const lo = u32[LO];
    const xhi = (hi ^ phi) >>> 0;
    const xlo = (lo ^ plo) >>> 0;
    phi = hi;
    plo = lo;
    if (xhi === 0 && xlo === 0) {
      bw.write(0, 1);
      continue;
    }
    let lead = xhi !== 0 ? Math.clz32(xhi) : 32 + Math.clz32(xlo);
    if (lead > 31) lead = 31;
    const trail = xlo !== 0 ? ctz32(xlo) : 32 + ctz32(xhi);
    let useLead: number;
    let useTrail: number;
    if (pLead >= 0 && lead >= pLead && trail >= pTrail) {
      bw.write(0b10, 2);
      useLead = pLead;
      useTrail = pTrail;
    } else {
      bw.write(0b11, 2);
      bw.write(lead, 5);
      bw.write(64 - lead - trail - 1, 6);
      pLead = useLead = lead;
      pTrail = useTrail = trail;
    }
    const width = 64 - useLead - useTrail;
    // the XOR shifted right by useTrail, as two 32-bit halves
    let shi: number;
    let slo: number;
    if (useTrail >= 32) {
      shi = 0;
      slo = xhi >>> (useTrail - 32);
    } else if (useTrail === 0) {
      shi = xhi;
      slo = xlo;
    } else {
      shi = xhi >>> useTrail;
      slo = ((xlo >>> useTrail) | (xhi << (32 - useTrail))) >>> 0;
    }
    if (width > 32) {
      bw.write(shi, width - 32);
      bw.write(slo, 32);
    } else {
      bw.write(width === 32 ? slo : slo & ((1 << width) - 1), width);
    }
  }
  bw.flush();
}

function gorillaDecode(buf: Uint8Array, start: number, end: number, k: number, out: Float64Array, rows: Uint32Array | null): void {
  const br = new BitReader(buf, start, end);
  let hi = br.read(32);
  let lo = br.read(32);
  let lead = -1;
  let trail = 0;
  for (let i = 0; i < k; i++) {
    if (i > 0 && br.read(1) === 1) {
      if (br.read(1) === 1) {
        lead = br.read(5);
        const width = br.read(6) + 1;
        trail = 64 - lead - width;
        if (trail < 0) throw new ChunkCorruptError('Gorilla window wider than 64 bits');
      } else if (lead < 0) {
        throw new ChunkCorruptError('Gorilla stream reuses a window before setting one');
      }
      const width = 64 - lead - trail;
      let shi = 0;
      let slo: number;
      if (width > 32) {
        shi = br.read(width - 32);
        slo = br.read(32);
      } else {
        slo = br.read(width);
      }
      let xhi: number;
      let xlo: number;
      if (trail >= 32) {
        xhi = (slo << (trail - 32)) >>> 0;
        xlo = 0;
      } else if (trail === 0) {
        xhi = shi;
        xlo = slo;
      } else {
        xhi = ((shi << trail) | (slo >>> (32 - trail))) >>> 0;
        xlo = (slo << trail) >>> 0;
      }
      hi = (hi ^ xhi) >>> 0;
      lo = (lo ^ xlo) >>> 0;
    }
    u32[HI] = hi;
    u32[LO] = lo;
    out[rows === null ? i : rows[i]] = f64[0];
  }
}

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

interface Scratch {
  vals: Float64Array;
  ints: Float64Array;
  /** one writer per decimal form, indexed by MODE_* */
  forms: ByteWriter[];
  gorilla: ByteWriter;
  hist: Uint32Array;
}

function scratchFor(rows: number): Scratch {
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

function encodeColumn(col: Float64Array, rows: number, out: ByteWriter, s: Scratch, encodings?: ColumnEncoding[]): void {
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

function decodeColumn(r: ByteReader, rows: number, idx: Uint32Array, j: number): Float64Array {
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

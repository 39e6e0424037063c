// The byte and bit level of the chunk codec (chunk-codec.ts): varints, CRC-32, and Gorilla's XOR of
// float64 bits. Pure; split out of chunk-codec.ts to keep each file under the 500 lines layers.test.ts allows.

export class ChunkCorruptError extends Error {
  constructor(message: string) {
    super(`chunk: ${message}`);
    this.name = 'ChunkCorruptError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Bytes

export class ByteWriter {
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

export function varintLen(n: number): number {
  let len = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

export const zz = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

export class ByteReader {
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

export function gorillaEncode(vals: Float64Array, k: number, out: ByteWriter): void {
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

export function gorillaDecode(buf: Uint8Array, start: number, end: number, k: number, out: Float64Array, rows: Uint32Array | null): void {
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


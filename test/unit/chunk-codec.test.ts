// The per-device window codec (issue 15): bit-exact round trips, nulls as nulls, corrupt blobs refused,
// and a typical window small.
import { describe, expect, it } from 'vitest';
import {
  ChunkCorruptError, decodeChunk, encodeChunk, encodeChunkInner,
  type ChunkColumns, type ChunkCompressor, type ColumnEncoding,
} from '../../server/store/chunk-codec.js';
import { mulberry32 as prng } from '../../server/sim/prng.js';


const T0 = 1_764_010_800_000;

function regular(rows: number, stepMs = 10_000, t0 = T0): Float64Array {
  return Float64Array.from({ length: rows }, (_, i) => t0 + i * stepMs);
}

/** Every value back bit for bit (Object.is: -0 stays -0, NaN = null stays null), in the same order. */
function expectSame(a: ChunkColumns, b: ChunkColumns): void {
  expect(b.ts.length).toBe(a.ts.length);
  for (let i = 0; i < a.ts.length; i++) if (!Object.is(a.ts[i], b.ts[i])) throw new Error(`ts[${i}]: ${b.ts[i]} for ${a.ts[i]}`);
  expect(b.columns.length).toBe(a.columns.length);
  a.columns.forEach((col, j) => {
    expect(b.columns[j].length).toBe(col.length);
    for (let i = 0; i < col.length; i++) {
      const want = col[i];
      const got = b.columns[j][i];
      const ok = Number.isNaN(want) ? Number.isNaN(got) : Object.is(want, got);
      if (!ok) throw new Error(`column ${j} row ${i}: ${Object.is(got, -0) ? '-0' : got} for ${Object.is(want, -0) ? '-0' : want}`);
    }
  });
}

function roundTrip(w: ChunkColumns, compressor?: ChunkCompressor): { blob: Uint8Array; encodings: ColumnEncoding[] } {
  const encodings: ColumnEncoding[] = [];
  const blob = encodeChunk(w, { compressor, encodings });
  expectSame(w, decodeChunk(blob));
  return { blob, encodings };
}

const col = (values: (number | null)[]): Float64Array => Float64Array.from(values, (v) => (v === null ? NaN : v));

describe('chunk codec: edge cases come back bit-exact', () => {
  it('all null, a single value, and a constant are each their own encoding', () => {
    const w = { ts: regular(5), columns: [col([null, null, null, null, null]), col([null, null, 7.5, null, null]), col([3, 3, 3, 3, 3])] };
    const { encodings } = roundTrip(w);
    expect(encodings).toEqual(['null', 'const', 'const']);
  });

  it('keeps -0 as -0 (a decimal would bring back +0, so it goes to Gorilla)', () => {
    const w = { ts: regular(4), columns: [col([0, -0, 0, -0]), col([-0, -0, -0, -0]), col([1.5, -0, 2.5, 3])] };
    const { encodings } = roundTrip(w);
    expect(encodings).toEqual(['gorilla', 'const', 'gorilla']);
  });

  it('keeps doubles no short decimal reaches: 0.1 + 0.2, 1e-300, the largest double, the smallest subnormal', () => {
    const odd = [0.1 + 0.2, 1e-300, 1.7976931348623157e308, Number.MIN_VALUE, -Number.MIN_VALUE, -1.7976931348623157e308, Math.PI, 1 / 3];
    const w = { ts: regular(odd.length), columns: [col(odd), col([...odd].reverse())] };
    const { encodings } = roundTrip(w);
    expect(encodings).toEqual(['gorilla', 'gorilla']);
  });

  it('keeps integers beyond 2^53 and near the decimal limit', () => {
    const big = [2 ** 53, 2 ** 53 + 2, 2 ** 60, 9.007199254740993e15, 2 ** 49, -(2 ** 49), 2 ** 49 + 1, 1e15];
    roundTrip({ ts: regular(big.length), columns: [col(big)] });
  });

  it('takes 1-decimal temperatures and growing counters as small scaled integers', () => {
    const temps = [23.4, 23.5, 23.5, 23.6, 23.4, 23.3];
    const shares = [120_000, 120_013, 120_027, 120_040, 120_052, 120_066];
    const uptime = Float64Array.from({ length: 40 }, (_, i) => 86_400.5 + i * 10);
    const level = Float64Array.from({ length: 40 }, (_, i) => [200.37, 199.81, 200.02, 199.5, 200.49][i % 5]);
    const { encodings } = roundTrip({ ts: regular(6), columns: [col(temps), col(shares)] });
    expect(encodings[0]).toMatch(/^decimal-/);
    expect(encodings[1]).toMatch(/^decimal-/);
    // a clock growing by the interval is all zero deltas of deltas; noise around a level is offsets
    expect(roundTrip({ ts: regular(40), columns: [uptime, level] }).encodings).toEqual(['decimal-dod', 'decimal-offset']);
  });

  it('keeps mixed nulls in place, as runs and as a bitmap', () => {
    const rows = 200;
    const runs = Float64Array.from({ length: rows }, (_, i) => (i >= 50 && i < 120 ? NaN : 40 + (i % 7) / 10));
    const alternate = Float64Array.from({ length: rows }, (_, i) => (i % 3 === 1 ? NaN : i * 1.5));
    const leading = Float64Array.from({ length: rows }, (_, i) => (i < 10 ? NaN : Math.sqrt(i)));
    const trailing = Float64Array.from({ length: rows }, (_, i) => (i >= rows - 1 ? NaN : i));
    roundTrip({ ts: regular(rows), columns: [runs, alternate, leading, trailing] });
  });

  it('keeps irregular, negative and far-apart timestamps', () => {
    const ts = Float64Array.from([-86_400_000, -1, 0, 1, 7, 10_007, 10_008, 3_600_000_000, 2 ** 49]);
    roundTrip({ ts, columns: [Float64Array.from(ts, (t, i) => (i % 2 ? t / 1000 : NaN))] });
  });

  it('holds 0 and 1 rows, 720 rows, and no columns', () => {
    roundTrip({ ts: new Float64Array(0), columns: [new Float64Array(0), new Float64Array(0)] });
    roundTrip({ ts: regular(1), columns: [col([42.1]), col([null]), col([-0])] });
    roundTrip({ ts: regular(3), columns: [] });
    const r = prng(7);
    roundTrip({ ts: regular(720), columns: Array.from({ length: 18 }, (_, j) => Float64Array.from({ length: 720 }, (_, i) => (j === 5 ? NaN : Math.round((j * 10 + r() * 5 + i / 100) * 10) / 10))) });
  });

  it('round-trips under every compressor', () => {
    const w = { ts: regular(50), columns: [Float64Array.from({ length: 50 }, (_, i) => 20 + i / 10), Float64Array.from({ length: 50 }, (_, i) => Math.sin(i))] };
    for (const c of [{ kind: 'none' }, { kind: 'deflate', level: 1 }, { kind: 'deflate', level: 9 }, { kind: 'brotli', quality: 5 }, { kind: 'brotli', quality: 11 }] as ChunkCompressor[]) roundTrip(w, c);
  });

  it('keeps whichever of brotli 4 and deflate-raw 6 is smaller, and stores a window neither shrinks as it is', () => {
    const r = prng(5);
    const moving = { ts: regular(360), columns: [Float64Array.from({ length: 360 }, (_, i) => 195 + ((i * 972 + Math.floor(r() * 7)) % 10))] };
    const noise = { ts: regular(3), columns: [Float64Array.from([Math.PI, Math.E, Math.SQRT2])] };
    for (const w of [moving, noise]) {
      const sizes = [{ kind: 'brotli', quality: 4 }, { kind: 'deflate', level: 6 }, { kind: 'none' }].map((c) => encodeChunk(w, { compressor: c as ChunkCompressor }).length);
      expect(roundTrip(w).blob.length).toBe(Math.min(...sizes));
    }
    expect(roundTrip(noise).blob[1]).toBe(0); // compressor code 0: stored
  });

  it('refuses input the format cannot hold', () => {
    expect(() => encodeChunk({ ts: Float64Array.from([T0, T0]), columns: [] })).toThrow(/strictly ascending/);
    expect(() => encodeChunk({ ts: Float64Array.from([T0 + 10, T0]), columns: [] })).toThrow(/strictly ascending/);
    expect(() => encodeChunk({ ts: Float64Array.from([T0 + 0.5]), columns: [] })).toThrow(/not an integer/);
    expect(() => encodeChunk({ ts: regular(3), columns: [new Float64Array(2)] })).toThrow(/column 0 has 2 values for 3/);
  });
});

describe('chunk codec: random windows', () => {
  /** One window of a seeded mix of the shapes devices send. */
  function randomWindow(seed: number): ChunkColumns {
    const r = prng(seed);
    const rows = 1 + Math.floor(r() * (r() < 0.2 ? 720 : 60));
    const ts = new Float64Array(rows);
    let t = T0 + Math.floor(r() * 1e9);
    const jitter = r() < 0.5;
    for (let i = 0; i < rows; i++) {
      ts[i] = t;
      t += jitter ? 1 + Math.floor(r() * 20_000) : 10_000;
    }
    const ncols = Math.floor(r() * 8);
    const columns: Float64Array[] = [];
    for (let j = 0; j < ncols; j++) {
      const shape = Math.floor(r() * 5);
      const digits = Math.floor(r() * 7);
      const nullShare = r() < 0.5 ? 0 : r() * 0.6;
      const c = new Float64Array(rows);
      let v = (r() - 0.3) * 10 ** Math.floor(r() * 7);
      for (let i = 0; i < rows; i++) {
        if (shape === 0) v += (r() - 0.5) * 2; // a random walk at `digits` decimals
        else if (shape === 1) v += Math.floor(r() * 50); // a counter that only grows
        else if (shape === 2) v = (r() - 0.5) * 1e3 * r(); // noise, full precision
        else if (shape === 3) v = r() < 0.9 ? v : v + 1; // mostly constant
        else v = Math.sin(i / 10 + seed) * 100; // smooth, full precision
        const rounded = shape === 0 || shape === 1 ? Math.round(v * 10 ** digits) / 10 ** digits : v;
        c[i] = r() < nullShare ? NaN : rounded;
      }
      columns.push(c);
    }
    return { ts, columns };
  }

  it('3,000 seeded windows round-trip bit-exact', () => {
    const seen = new Set<ColumnEncoding>();
    for (let seed = 1; seed <= 3000; seed++) {
      const w = randomWindow(seed);
      const encodings: ColumnEncoding[] = [];
      const blob = encodeChunk(w, { encodings, compressor: seed % 3 === 0 ? { kind: 'brotli', quality: 4 } : undefined });
      try {
        expectSame(w, decodeChunk(blob));
      } catch (e) {
        throw new Error(`seed ${seed}: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const e of encodings) seen.add(e);
    }
    // the mix exercised every encoding, so a broken one could not hide
    expect([...seen].sort()).toEqual(['const', 'decimal-delta', 'decimal-delta-runs', 'decimal-dod', 'decimal-offset', 'gorilla', 'null']);
  });
});

describe('chunk codec: corrupt and truncated blobs', () => {
  const r = prng(99);
  const w: ChunkColumns = {
    ts: regular(360),
    columns: [
      Float64Array.from({ length: 360 }, (_, i) => Math.round((70 + r()) * 10) / 10),
      Float64Array.from({ length: 360 }, (_, i) => 120_000 + i * 13),
      Float64Array.from({ length: 360 }, () => r() * 100),
      Float64Array.from({ length: 360 }, (_, i) => (i % 17 === 0 ? NaN : 3400 + Math.floor(r() * 20))),
    ],
  };

  for (const c of [{ kind: 'deflate', level: 6 }, { kind: 'brotli', quality: 9 }, { kind: 'none' }] as ChunkCompressor[]) {
    it(`every truncation and every flipped byte throws (${c.kind})`, () => {
      const blob = encodeChunk(w, { compressor: c });
      for (let n = 0; n < blob.length; n++) expect(() => decodeChunk(blob.subarray(0, n)), `truncated to ${n}`).toThrow(ChunkCorruptError);
      for (let i = 0; i < blob.length; i++) {
        const bad = blob.slice();
        bad[i] ^= 1 << (i % 8);
        expect(() => decodeChunk(bad), `byte ${i} flipped`).toThrow(ChunkCorruptError);
      }
      const longer = new Uint8Array(blob.length + 1);
      longer.set(blob);
      expect(() => decodeChunk(longer)).toThrow(ChunkCorruptError);
    });
  }

  it('names what is wrong', () => {
    const blob = encodeChunk(w);
    const v2 = blob.slice();
    v2[0] = 2;
    expect(() => decodeChunk(v2)).toThrow('chunk: unknown format version 2 (this code reads 1)');
    expect(() => decodeChunk(new Uint8Array(0))).toThrow('chunk: truncated reading the version');
    const badCrc = blob.slice();
    badCrc[3] ^= 0xff;
    expect(() => decodeChunk(badCrc)).toThrow(/CRC mismatch|inner length/);
  });
});

describe('chunk codec: size of a typical window', () => {
  it('an ASIC hour at 10 s (18 columns, 5 never reported) fits in 1,900 bytes', () => {
    // 360 rows × 13 reported metrics = 4,680 values, 37.4 KiB as raw doubles. The information in them
    // (uniform noise, as generated below) is the floor no lossless codec beats: hashrate 100 equally
    // likely values (6.6 bits each, 300 B); power 7 (2.8 bits, 126 B); 4 temperatures and the fan taking
    // steps of -1/0/+1 with p = .27/.45/.27 (1.54 bits, 70 B each, 350 B); shares +6..+19 (3.8 bits,
    // 171 B); uptime +5..+14 (3.3 bits, 150 B): about 1,100 B. A byte-wise coder shared by all columns
    // lands 1.4–1.6× above that (brotli 4 and deflate-raw 6 measured 1,549 and 1,762 B): 1,900 B is
    // 0.41 B a value, 1/24 of today's 9.9.
    const r = prng(2026);
    const rows = 360;
    const walk = (start: number, step: number, scale: number) => {
      let v = start;
      return Float64Array.from({ length: rows }, () => {
        v += Math.round((r() - 0.5) * 2.2) * step;
        return Math.round(v * scale) / scale;
      });
    };
    const counter = (start: number, rate: number) => {
      let v = start;
      return Float64Array.from({ length: rows }, () => (v += Math.floor(rate * (0.5 + r()))));
    };
    const constant = (v: number) => new Float64Array(rows).fill(v);
    const none = () => new Float64Array(rows).fill(NaN);
    const columns = [
      Float64Array.from({ length: rows }, () => Math.round((200 + (r() - 0.5)) * 100) / 100), // hashrate_ths
      Float64Array.from({ length: rows }, () => 3500 + Math.round((r() - 0.5) * 6)), // power_w
      walk(71, 0.1, 10), walk(62, 0.1, 10), walk(24, 0.1, 10), walk(39, 0.1, 10), // temperatures
      Float64Array.from({ length: rows }, () => 4800 + 60 * Math.round((r() - 0.5) * 2)), // fan_rpm
      counter(120_000, 13), counter(31, 0.05), constant(0), constant(3), constant(3), // shares, errors, chains
      counter(86_400, 10), // uptime_s
      none(), none(), none(), none(), none(), // fan_min_rpm, nameplate, pool %s, share age
    ];
    const w = { ts: regular(rows), columns };
    const { blob, encodings } = roundTrip(w);
    expect(encodings.filter((e) => e === 'gorilla')).toEqual([]);
    expect(encodeChunkInner(w).length).toBeLessThan(4000);
    expect(blob.length).toBeLessThan(1900);
  });
});

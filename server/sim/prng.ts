// One seeded PRNG for everything that needs reproducible "random" values: the demo's simulator (the same
// site every start), the codec's random-window tests (a failing window reproduced from its seed) and the
// codec bench (the same data every run). mulberry32: 32 bits of state, fast, good enough for test data.

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

import { describe, expect, it } from 'vitest';
import {
  addGpu, addMiner, emptyUtil, gpuActivity, hashrateRatio, isHashing, meanGpuUtilPct, mergeUtil, utilFigures,
} from '../../server/figures/utilisation.js';
import { GPU_IDLE_UTIL_PCT } from '../../server/figures/bands.js';

describe('ASIC utilisation', () => {
  it('per miner: 190 / 200 TH/s = 0.95', () => {
    expect(hashrateRatio(190, 200)).toBeCloseTo(0.95, 12);
    expect(hashrateRatio(null, 200)).toBeNull();
    expect(hashrateRatio(190, 0)).toBeNull();
  });
  it('hashing = up and hashrate > 0', () => {
    expect(isHashing(1, false)).toBe(true);
    expect(isHashing(0, false)).toBe(false);
    expect(isHashing(190, true)).toBe(false);
    expect(isHashing(null, false)).toBe(false);
  });
  it('aggregate is Σhashrate ÷ Σnominal with down miners adding nominal only', () => {
    const a = emptyUtil();
    addMiner(a, 190, 200, false); // hashing
    addMiner(a, 0, 200, false); // up, not hashing (curtailed / no pool)
    addMiner(a, 180, 200, true); // down: its 180 is old, counts 0
    addMiner(a, 95, 100, false); // a smaller model
    const f = utilFigures(a);
    // Σhashrate = 190 + 0 + 95 = 285; Σnominal = 200 × 3 + 100 = 700; 285 / 700 = 0.40714
    expect(f.hashrate_ths).toBe(285);
    expect(f.nominal_ths).toBe(700);
    expect(f.hashrate_ratio).toBeCloseTo(285 / 700, 12);
    expect(f.miners_total).toBe(4);
    expect(f.miners_hashing).toBe(2);
    expect(f.miners_hashing_ratio).toBe(0.5);
  });
  it('ratio of sums differs from mean of ratios', () => {
    const a = emptyUtil();
    addMiner(a, 100, 200, false); // 0.5
    addMiner(a, 14, 14, false); // 1.0
    // Σ: 114 / 214 = 0.5327, mean of ratios would be 0.75
    expect(utilFigures(a).hashrate_ratio).toBeCloseTo(114 / 214, 12);
  });
  it('all miners down: hashrate unknown (null), nominal known', () => {
    const a = emptyUtil();
    addMiner(a, 190, 200, true);
    const f = utilFigures(a);
    expect(f.hashrate_ths).toBeNull();
    expect(f.nominal_ths).toBe(200);
    expect(f.hashrate_ratio).toBeNull();
    expect(f.miners_hashing).toBe(0);
  });
});

describe('GPU utilisation', () => {
  it('idle threshold is 5 %', () => {
    expect(GPU_IDLE_UTIL_PCT).toBe(5);
    expect(gpuActivity(4.9)).toBe('idle');
    expect(gpuActivity(5)).toBe('busy');
    expect(gpuActivity(null)).toBeNull();
  });
  it('mean ignores nulls: (90 + 0 + 60) / 3 = 50', () => {
    expect(meanGpuUtilPct([90, null, 0, 60, undefined])).toBe(50);
    expect(meanGpuUtilPct([null])).toBeNull();
  });
  it('accumulates busy/idle, leaving unknown and down GPUs out of the mean', () => {
    const a = emptyUtil();
    addGpu(a, 98, false); // busy
    addGpu(a, 2, false); // idle
    addGpu(a, null, false); // unknown
    addGpu(a, 100, true); // down
    const f = utilFigures(a);
    expect(f.gpus_total).toBe(4);
    expect(f.gpus_busy).toBe(1);
    expect(f.gpus_idle).toBe(1);
    expect(f.gpu_util_pct).toBe(50); // (98 + 2) / 2
  });
  it('merging racks keeps the mean over GPUs, not over racks', () => {
    const r1 = emptyUtil();
    addGpu(r1, 100, false);
    addGpu(r1, 100, false);
    addGpu(r1, 100, false);
    const r2 = emptyUtil();
    addGpu(r2, 0, false);
    const hall = emptyUtil();
    mergeUtil(hall, r1);
    mergeUtil(hall, r2);
    // (100 × 3 + 0) / 4 = 75; a mean of rack means would say 50
    expect(utilFigures(hall).gpu_util_pct).toBe(75);
    expect(utilFigures(hall).gpus_idle).toBe(1);
  });
});

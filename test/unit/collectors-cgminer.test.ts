import { describe, expect, it } from 'vitest';
import { parseCgminerJson, repairCgminerJson } from '../../server/collectors/cgminer.js';
import { num, parseAvalonMm, parseCgminerReplies } from '../../server/collectors/cgminer-parse.js';
import { CollectorError } from '../../server/collectors/types.js';

const reason = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof CollectorError ? e.reason : String(e);
  }
  return 'no error';
};

describe('repairCgminerJson / parseCgminerJson', () => {
  it('strips the trailing NUL and inserts the missing comma between }{', () => {
    expect(parseCgminerJson('{"STATS":[{"a":1}{"b":2}]}\0')).toEqual({ STATS: [{ a: 1 }, { b: 2 }] });
  });
  it('drops trailing commas and turns bare inf/nan/-nan into null', () => {
    expect(repairCgminerJson('{"x":inf,"y":-nan,"z":[1,nan,],}')).toBe('{"x":null,"y":null,"z":[1,null]}');
    expect(parseCgminerJson('{"GHS 5s":nan,"Temp":-inf}')).toEqual({ 'GHS 5s': null, Temp: null });
  });
  it('names a cut-off reply, garbage and an empty reply', () => {
    expect(reason(() => parseCgminerJson('{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"GHS 5s":1'))).toBe('closed mid-reply');
    expect(reason(() => parseCgminerJson('<html>nope</html>'))).toBe('bad reply: not JSON');
    expect(reason(() => parseCgminerJson('\0'))).toBe('bad reply: empty');
  });
});

describe('cgminer-parse helpers', () => {
  it('reads numbers written as strings, with thousands separators, and rejects words', () => {
    expect(num('140258.58')).toBe(140258.58);
    expect(num('13,500.00')).toBe(13500);
    expect(num('')).toBeNull();
    expect(num('n/a')).toBeNull();
  });
  it('splits Avalon Key[value] strings', () => {
    const mm = parseAvalonMm('Ver[1] SYSTEMSTATU[Work: In Work, Hash Board: 3 ] GHSspd[1.5] FACOPTS0[]');
    expect(mm.get('GHSspd')).toBe('1.5');
    expect(mm.get('SYSTEMSTATU')).toBe('Work: In Work, Hash Board: 3');
    expect(mm.get('FACOPTS0')).toBe('');
  });
  it('leaves power null (no estimate) when neither the firmware nor the model gives it', () => {
    const r = parseCgminerReplies({ summary: { SUMMARY: [{ 'GHS 5s': 100000 }] } }, { device: 'd', ts: 1 });
    expect(r.metrics.hashrate_ths).toBe(100);
    expect(r.metrics.power_w).toBeNull();
    expect(r.power_source).toBeUndefined();
  });
  // Changed by issue 13: this used to expect a 0 W estimate. A miner at 0 TH/s (curtailed, or idle like the
  // Avalon Q capture at 146 W) still draws fans and controller; 0 W dropped it from its rack's power without
  // a word. No estimate now, so the rack reports it "without power_w".
  it('does not estimate power at 0 TH/s (an idle miner is not 0 W)', () => {
    const r = parseCgminerReplies({ summary: { SUMMARY: [{ 'MHS 5s': 0 }] } }, { device: 'd', ts: 1, nominal_ths: 200, nominal_power_w: 3500 });
    expect(r.metrics.hashrate_ths).toBe(0);
    expect(r.metrics.power_w).toBeNull();
    expect(r.power_source).toBeUndefined();
  });
});

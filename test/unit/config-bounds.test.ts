// Issue 11 case 9: compact-form `count` is bounded before anything is expanded. A config that would make
// more devices than a site may have is refused with the path of the entry and the total it would have made,
// quickly and without building the devices; the other errors of the file still come in the same pass.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config/index.js';
import { MAX_COUNT, MAX_SITE_DEVICES } from '../../server/config/validate.js';

function errors(yaml: string): string[] {
  const r = parseConfig(yaml, { env: {} });
  if (r.ok) throw new Error('expected errors, config was valid');
  return r.errors;
}

/** One hall H with the given rack entries (YAML text indented under racks:). */
function site(racks: string, extra = ''): string {
  return `site: { name: T }\nhalls:\n  - id: H\n    racks:\n${racks}\n${extra}`;
}

// The outside tester's file: 100,000 racks × 100,000 GPU nodes × 64 GPUs = 640,000,000,000 GPUs.
const HUGE = site(`      - id: "R{n}"
        count: 100000
        row: 1
        col: "{n}"
        rated_kw: 40
        devices:
          - { id: "{rack}-n{n}", kind: gpu_node, model: h100-sxm, gpus: 64, count: 100000 }`);

describe('compact-form bounds', () => {
  it('the limits are a million devices a site, and no single count above that', () => {
    expect(MAX_SITE_DEVICES).toBe(1_000_000);
    expect(MAX_COUNT).toBe(1_000_000);
  });

  it('100,000 × 100,000 × 64 is refused at once, naming both entries and the totals they would make', () => {
    const t0 = performance.now();
    const errs = errors(HUGE);
    const ms = performance.now() - t0;
    console.log(`100,000 × 100,000 × 64 refused in ${ms.toFixed(1)} ms`);
    expect(errs).toEqual([
      'halls[0].racks[0].devices[0].count: 100,000 gpu nodes × 64 GPUs = 6,400,000 devices in each rack, ' +
        'over the limit of 1,000,000 devices a site may have',
      'halls[0].racks[0].count: 100,000 racks × 6,400,000 devices = 640,000,000,000 devices, ' +
        'over the limit of 1,000,000 devices a site may have',
    ]);
    // Before the bound it ran 72 s and 4.4 GB; nothing is expanded now. Generous for a shared 2-core box.
    expect(ms).toBeLessThan(1000);
  });

  it('a count above the per-field maximum is refused by itself, and expands nothing', () => {
    expect(errors(site(`      - id: R
        row: 1
        col: 1
        rated_kw: 10
        devices:
          - { id: "a{n}", kind: asic, model: antminer-s21, count: 1000000000000 }`))).toEqual([
      'halls[0].racks[0].devices[0].count: at most 1,000,000',
    ]);
    expect(errors(site(`      - id: "R{n}"
        count: 2000000
        row: 1
        col: "{n}"
        rated_kw: 10`))).toEqual([
      'halls[0].racks[0].count: at most 1,000,000',
    ]);
  });

  it('the site total counts every hall: the entry that crosses the budget is named with the site total', () => {
    const hall = (id: string) => `  - id: ${id}
    racks:
      - id: "${id}-{n}"
        count: 1000
        row: 1
        col: "{n}"
        rated_kw: 10
        devices:
          - { id: "{rack}-{n}", kind: env, count: 600 }`;
    const errs = errors(`site: { name: T }\nhalls:\n${hall('A')}\n${hall('B')}\n`);
    expect(errs).toEqual([
      'halls[1].racks[0].count: 1,000 racks × 600 devices = 600,000 devices would bring the site to 1,200,000 devices, ' +
        'over the limit of 1,000,000 devices a site may have',
    ]);
  });

  it('one rack whose entries together pass the budget is named at its devices', () => {
    expect(errors(site(`      - id: R
        row: 1
        col: 1
        rated_kw: 10
        devices:
          - { id: "a{n}", kind: env, count: 600000 }
          - { id: "b{n}", kind: env, count: 600000 }`))).toEqual([
      'halls[0].racks[0].devices: 1,200,000 devices in one rack, over the limit of 1,000,000 devices a site may have',
    ]);
  });

  it('the other errors of the file are still reported in the same pass, and no follow-up noise about racks', () => {
    const errs = errors(`${HUGE.replace('rated_kw: 40', 'rated_kw: x')}
cooling_loops:
  - { id: L1, fluid: water, racks: [R1] }
retention: { raw_hours: -1 }
`);
    expect(errs).toEqual([
      'halls[0].racks[0].rated_kw: expected a number',
      'halls[0].racks[0].devices[0].count: 100,000 gpu nodes × 64 GPUs = 6,400,000 devices in each rack, ' +
        'over the limit of 1,000,000 devices a site may have',
      'halls[0].racks[0].count: 100,000 racks × 6,400,000 devices = 640,000,000,000 devices, ' +
        'over the limit of 1,000,000 devices a site may have',
      'retention.raw_hours: must be greater than 0',
    ]);
  });

  it('exactly the budget still loads', () => {
    // 1,000 racks × 1,000 env sensors = 1,000,000 devices: on the limit, not over it.
    const r = parseConfig(site(`      - id: "R{n}"
        count: 1000
        row: 1
        col: "{n}"
        rated_kw: 10
        devices:
          - { id: "{rack}-{n}", kind: env, count: 1000 }`), { env: {} });
    expect(r.ok ? r.model.devices.size : r.errors).toBe(1_000_000);
  }, 30_000);

  it('a 100,000-device config still loads well under a second', () => {
    const yaml = `site: { name: Big }
halls:
  - id: B
    racks:
      - id: "B-{n:03}"
        count: 500
        row: 1
        col: "{n}"
        rated_kw: 700
        devices:
          - { id: "{rack}-{n:03}", kind: asic, model: antminer-s21, count: 199, address: "10.{r}.0.{n}:4028" }
          - { id: "{rack}-pdu", kind: pdu }
`;
    parseConfig(yaml, { env: {} }); // warm up the JIT
    let ms = Infinity;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const r = parseConfig(yaml, { env: {} });
      ms = Math.min(ms, performance.now() - t0);
      expect(r.ok && r.model.devices.size).toBe(100_000);
    }
    console.log(`100,000-device config parsed in ${ms.toFixed(0)} ms (best of 3)`);
    expect(ms).toBeLessThan(1000);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError, DEMO_CONFIG_PATH, checkConfigCommand, compilePattern, countDevicesByKind, expandPattern, loadConfigFile,
  parseConfig,
} from '../../server/config/index.js';
import type { SiteModel } from '../../server/core/types.js';
import { effectiveFigures } from '../../server/core/catalogue.js';

const NO_ENV = { env: {} };
const tmp = mkdtempSync(join(tmpdir(), 'floorwatch-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function ok(yaml: string, env: NodeJS.ProcessEnv = {}): SiteModel {
  const r = parseConfig(yaml, { env });
  if (!r.ok) throw new Error(`expected a valid config, got:\n${r.errors.join('\n')}`);
  return r.model;
}

function errors(yaml: string): string[] {
  const r = parseConfig(yaml, NO_ENV);
  if (r.ok) throw new Error('expected errors, config was valid');
  return r.errors;
}

/** One hall with the given rack entries (YAML text indented under racks:). */
function site(racks: string, extra = ''): string {
  return `site: { name: T }\nhalls:\n  - id: H\n    racks:\n${racks}\n${extra}`;
}

describe('built-in demo site', () => {
  const model = loadConfigFile(DEMO_CONFIG_PATH, NO_ENV);

  it('is found from the module location', () => {
    expect(isAbsolute(DEMO_CONFIG_PATH)).toBe(true);
    expect(DEMO_CONFIG_PATH.endsWith(join('examples', 'demo-site.yaml'))).toBe(true);
  });

  it('describes the hybrid campus: 1,040 ASICs and 160 GPUs', () => {
    expect(model.name).toBe('Floorwatch demo — Hybrid Campus');
    // 20 air racks × 40 S21 + 6 tanks × 40 M66S = 800 + 240; 5 racks × 4 nodes × 8 GPUs = 160;
    // one env and one pdu in each of the 26 + 5 racks; the network rack M-NET's UPS and env; 2 loops;
    // 3 meters; 2 pool probes + 1 probe; 1 market (issue 16); 2 WAN links: 1275 devices.
    expect(countDevicesByKind(model)).toEqual({ asic: 1040, gpu: 160, env: 32, pdu: 31, cooling_loop: 2, meter: 3, probe: 3, market: 1, ups: 1, network_link: 2 });
    expect(model.devices.size).toBe(1275);
    expect(model.halls.map((h) => [h.id, h.name, h.racks.length, h.rows, h.cols])).toEqual([
      ['M', 'Mining hall', 27, 3, 10],
      ['G', 'AI hall', 5, 1, 5],
    ]);
    expect(model.devices.get('M-B10-40')).toEqual({ id: 'M-B10-40', kind: 'asic', model: 'antminer-s21', hall: 'M', rack: 'M-B10' });
    expect(model.devices.get('M-T6-40')?.model).toBe('whatsminer-m66s');
    expect(model.devices.get('G-05-n4/gpu7')).toMatchObject({ kind: 'gpu', node: 'G-05-n4', gpu_index: 7, rack: 'G-05', model: 'h100-sxm' });
    expect(model.racks.get('M-T3')).toMatchObject({ row: 3, col: 3, rated_kw: 300, cooling: 'immersion', loop: 'M-IMM' });
    expect(model.racks.get('M-A07')).toMatchObject({ row: 1, col: 7, rated_kw: 180, feeds: ['A', 'B'], feed_rated_kw: 180, cooling: 'air' });
    expect(model.loops).toEqual([
      { id: 'M-IMM', hall: 'M', fluid: 'immersion_oil', racks: ['M-T1', 'M-T2', 'M-T3', 'M-T4', 'M-T5', 'M-T6'] },
      { id: 'G-DLC', hall: 'G', fluid: 'pg25', racks: ['G-01', 'G-02', 'G-03', 'G-04', 'G-05'] },
    ]);
    expect(model.meters).toEqual([
      { id: 'FAC-MAIN', scope: 'site' }, { id: 'M-MAIN', scope: { hall: 'M' } }, { id: 'G-MAIN', scope: { hall: 'G' } },
    ]);
    expect(model.devices.get('M-MAIN')).toEqual({ id: 'M-MAIN', kind: 'meter', hall: 'M' });
    // Push only: the simulator feeds it. Its probes name the probe collector as every probe does, and the
    // demo starts no collectors (cli.ts), so nothing is polled; no other device names an endpoint.
    const polled = [...model.devices.values()].filter((d) => d.address !== undefined || d.collector !== undefined);
    expect(polled.map((d) => [d.id, d.collector, d.probe])).toEqual([
      ['pool:primary', 'probe', 'stratum.primary-pool.example:3333'],
      ['pool:backup', 'probe', 'stratum.backup-pool.example:443'],
      ['probe:customer-gw', 'probe', 'gw.customer.example:443'],
    ]);
    expect(model.pools?.map((p) => [p.name, p.host, p.port, p.user, p.probe])).toEqual([
      ['primary', 'stratum.primary-pool.example', 3333, 'hybridcampus', 'pool:primary'],
      ['backup', 'stratum.backup-pool.example', 443, 'hybridcampus', 'pool:backup'],
    ]);
  });

  it('accepts the demo token, stored only as its sha256', () => {
    // printf demo-token | sha256sum
    expect(model.auth.ingest_tokens).toEqual([
      { name: 'demo', sha256: '7c43ef5ae21d43ce2743f770c68e24def1a43ee2f416d2438410c8af7af2ff2c' },
    ]);
  });

  it('takes the documented defaults for what it leaves out', () => {
    expect(model.collectors.cgminer).toEqual({ interval_s: 15, timeout_ms: 3000, concurrency: 256 });
    expect(model.collectors.dcgm).toEqual({ interval_s: 10, timeout_ms: 3000, concurrency: 32 });
    expect(model.retention).toEqual({ raw_hours: 48, minute_days: 90, hour_days: 1825, device_minute_days: 7 });
    expect(model.pue_target).toBe(1.5);
    expect(model.prometheus).toEqual({ per_device: false });
  });
});

describe('real-site example', () => {
  const model = loadConfigFile(join(DEMO_CONFIG_PATH, '..', 'site.example.yaml'), NO_ENV);

  it('validates and expands every feature', () => {
    // asic: 4 racks × 36 + 35 + 1 + 40 + 1 = 221; gpu: 2 racks × 4 nodes × 8 + 3 nodes × 4 = 76
    // and two markets (issue 16)
    expect(countDevicesByKind(model)).toEqual({ asic: 221, gpu: 76, env: 8, pdu: 7, cooling_loop: 2, meter: 3, probe: 3, market: 2, ups: 0, network_link: 0 });
    expect(model.devices.get('A-02-07')).toMatchObject({ address: '10.1.2.7:4028', collector: 'cgminer', rack: 'A-02' });
    expect(model.devices.get('A-05-36')).toMatchObject({
      address: '10.1.5.36:4433', collector: 'whatsminer_v3', nominal_ths: 170, nominal_power_w: 3422,
    });
    expect(model.devices.get('G-02-n3/gpu0')).toMatchObject({
      exporter: 'http://10.2.2.3:9400/metrics', collector: 'dcgm', node: 'G-02-n3', gpu_index: 0,
    });
    expect(model.devices.get('G-03-n2/gpu3')).toMatchObject({ model: 'l40s', max_temp_c: 85 });
    expect(model.devices.get('G-03-n2/gpu3')?.collector).toBeUndefined();
    expect(model.racks.get('A-03')).toMatchObject({ feeds: ['A', 'B'], feed_rated_kw: 100 });
    expect(model.racks.get('A-05')?.feeds).toEqual(['A']);
    expect(model.racks.get('G-01')?.loop).toBe('G-CDU1');
    expect(model.racks.get('G-03')?.loop).toBeUndefined();
    expect(model.racks.get('A-T1')?.loop).toBe('A-IMM');
  });

  it('layers models: over the catalogue', () => {
    expect(model.catalogue.get('antminer-s21')).toMatchObject({ nominal_ths: 200, nominal_power_w: 3700 });
    expect(model.catalogue.get('bitaxe-gamma')).toEqual({
      key: 'bitaxe-gamma', kind: 'asic', name: 'Bitaxe Gamma (test bench)', nominal_ths: 1.2, nominal_power_w: 18, max_temp_c: 70,
    });
  });

  it('merges collector, retention, alert and prometheus settings with defaults', () => {
    expect(model.collectors.whatsminer_v3).toEqual({ interval_s: 30, timeout_ms: 3000, concurrency: 256 });
    expect(model.collectors.cgminer).toEqual({ interval_s: 15, timeout_ms: 2500, concurrency: 128 });
    expect(model.retention.raw_hours).toBe(72);
    expect(model.pue_target).toBe(1.25);
    expect(model.auth.ingest_tokens.map((t) => t.name)).toEqual(['bms', 'gpu-agent']);
    expect(model.auth.ingest_tokens[1]?.sha256).toBe('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');
    expect(model.auth.read_token_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(model.auth.metrics_token_sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('retention', () => {
  const rack = '      - { id: R1, row: 1, col: 1, rated_kw: 10 }';
  it('device_minute_days: default 7, given value kept, apart from the scope minute_days', () => {
    expect(ok(site(rack)).retention.device_minute_days).toBe(7);
    const m = ok(site(rack, 'retention: { device_minute_days: 14, minute_days: 30 }'));
    expect(m.retention).toEqual({ raw_hours: 48, minute_days: 30, hour_days: 1825, device_minute_days: 14 });
  });
  it('device_minute_days: errors by path, and it must cover raw_hours', () => {
    expect(errors(site(rack, 'retention: { device_minute_days: "7d" }'))).toEqual(['retention.device_minute_days: expected a number']);
    expect(errors(site(rack, 'retention: { device_minute_days: 0 }'))).toEqual(['retention.device_minute_days: must be greater than 0']);
    // 72 h of raw readings may still be corrected: 2 days of device minutes is too few, 3 is enough
    expect(errors(site(rack, 'retention: { raw_hours: 72, device_minute_days: 2 }')))
      .toEqual(['retention.device_minute_days: must keep at least raw_hours (72 h = 3 days)']);
    expect(ok(site(rack, 'retention: { raw_hours: 72, device_minute_days: 3 }')).retention.device_minute_days).toBe(3);
  });
  it('compact_window_min and compact_grace_min: absent unless given, a window must divide the 4 h chunk bound', () => {
    expect(ok(site(rack)).retention).not.toHaveProperty('compact_window_min');
    const m = ok(site(rack, 'retention: { compact_window_min: 120, compact_grace_min: 5 }'));
    expect(m.retention).toMatchObject({ compact_window_min: 120, compact_grace_min: 5 });
    expect(errors(site(rack, 'retention: { compact_window_min: 45 }'))).toEqual(['retention.compact_window_min: must be one of 5, 10, 15, 20, 30, 60, 120, 240']);
    expect(errors(site(rack, 'retention: { compact_grace_min: -1 }'))).toEqual(['retention.compact_grace_min: must be greater than 0']);
    expect(errors(site(rack, 'retention: { compact_window: 60 }'))[0]).toMatch(/^retention\.compact_window: /);
  });
});

describe('compact form', () => {
  it('expands ids and addresses with zero padding and offsets', () => {
    const m = ok(site(`      - id: R
        row: 1
        col: 1
        rated_kw: 50
        devices:
          - { id: "X-{n:03}", kind: asic, model: antminer-s21, count: 3, start: 8, address: "127.0.0.1:{n+40000}" }
          - { id: "Y{n}", kind: pdu, count: 2, start: 0 }`));
    expect(m.racks.get('R')?.devices.map((d) => [d.id, d.address ?? null])).toEqual([
      ['X-008', '127.0.0.1:40008'], ['X-009', '127.0.0.1:40009'], ['X-010', '127.0.0.1:40010'], ['Y0', null], ['Y1', null],
    ]);
  });

  it('expands counted racks with {rack} and {r} inside their devices', () => {
    const m = ok(site(`      - id: "C-{n:02}"
        count: 3
        start: 9
        row: 2
        col: "{n-7}"
        rated_kw: 20
        devices:
          - { id: "{rack}-{n}", kind: asic, model: avalon-a1466, count: 2, address: "10.0.{r}.{n+10}:4028" }
          - { id: "{rack}-env", kind: env }`));
    expect([...m.racks.values()].map((r) => [r.id, r.row, r.col])).toEqual([['C-09', 2, 2], ['C-10', 2, 3], ['C-11', 2, 4]]);
    expect(m.racks.get('C-10')?.devices.map((d) => [d.id, d.address ?? null, d.rack])).toEqual([
      ['C-10-1', '10.0.10.11:4028', 'C-10'], ['C-10-2', '10.0.10.12:4028', 'C-10'], ['C-10-env', null, 'C-10'],
    ]);
    expect(m.halls[0]).toMatchObject({ rows: 2, cols: 4 });
  });

  it('compiles patterns once and rejects unknown placeholders', () => {
    const p = compilePattern('A-{n:04}-{n+1}-{rack}');
    if (typeof p === 'string') throw new Error(p);
    expect(expandPattern(p, { n: 7, rack: 'R9' })).toBe('A-0007-8-R9');
    expect(compilePattern('{x}')).toBe('unknown placeholder {x} (use {n}, {n:03}, {n+100}, {r}, {rack})');
    expect(compilePattern('A-{n:02')).toBe('unbalanced { } in pattern');
  });

  it('insists that counted ids vary and placeholders have a number', () => {
    expect(errors(site(`      - id: "R{n}"
        count: 2
        row: 1
        col: "{n}"
        rated_kw: 5
        devices:
          - { id: fixed, kind: env }
          - { id: "{rack}-a", kind: asic, model: antminer-s21, count: 3 }
      - id: "S{n}"
        row: 2
        col: 1
        rated_kw: 5`))).toEqual([
      'halls[0].racks[0].devices[0].id: in a rack with count, the id must contain {rack} or {r}',
      'halls[0].racks[0].devices[1].id: with count, the id must contain {n}',
      'halls[0].racks[1].id: {n} needs count',
    ]);
  });

  it('parses a 100,000-device site', () => {
    // 500 racks × (199 miners + 1 pdu) = 100,000 devices.
    const m = ok(`site: { name: Big }
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
`);
    expect(m.devices.size).toBe(100_000);
    expect(m.racks.size).toBe(500);
    expect(m.devices.get('B-500-199')).toMatchObject({ address: '10.500.0.199:4028', rack: 'B-500' });
  });
});

describe('gpu_node', () => {
  it('expands into one gpu device per GPU, polled by dcgm when it has an exporter', () => {
    const m = ok(site(`      - id: R
        row: 1
        col: 1
        rated_kw: 30
        devices:
          - { id: "n{n}", kind: gpu_node, model: h200, gpus: 2, count: 2, exporter: "https://gpu{n}.lan:9400/metrics" }
          - { id: solo, kind: gpu_node, model: a100-sxm }`));
    expect(m.racks.get('R')?.devices.slice(0, 4)).toEqual([
      { id: 'n1/gpu0', kind: 'gpu', hall: 'H', rack: 'R', model: 'h200', node: 'n1', gpu_index: 0, exporter: 'https://gpu1.lan:9400/metrics', collector: 'dcgm' },
      { id: 'n1/gpu1', kind: 'gpu', hall: 'H', rack: 'R', model: 'h200', node: 'n1', gpu_index: 1, exporter: 'https://gpu1.lan:9400/metrics', collector: 'dcgm' },
      { id: 'n2/gpu0', kind: 'gpu', hall: 'H', rack: 'R', model: 'h200', node: 'n2', gpu_index: 0, exporter: 'https://gpu2.lan:9400/metrics', collector: 'dcgm' },
      { id: 'n2/gpu1', kind: 'gpu', hall: 'H', rack: 'R', model: 'h200', node: 'n2', gpu_index: 1, exporter: 'https://gpu2.lan:9400/metrics', collector: 'dcgm' },
    ]);
    // Default 8 GPUs, and no exporter means push only.
    const solo = [...m.devices.values()].filter((d) => d.node === 'solo');
    expect(solo.map((d) => d.id)).toEqual(['solo/gpu0', 'solo/gpu1', 'solo/gpu2', 'solo/gpu3', 'solo/gpu4', 'solo/gpu5', 'solo/gpu6', 'solo/gpu7']);
    expect(solo.every((d) => d.collector === undefined && d.exporter === undefined)).toBe(true);
    expect(m.devices.has('solo')).toBe(false);
  });

  it('rejects cgminer settings and a wrong model kind on a GPU node', () => {
    expect(errors(site(`      - id: R
        row: 1
        col: 1
        rated_kw: 30
        devices:
          - { id: g, kind: gpu_node, model: antminer-s21, address: "10.0.0.1:4028", nominal_ths: 5, gpus: 65 }`))).toEqual([
      'halls[0].racks[0].devices[0].nominal_ths: only for kind asic',
      'halls[0].racks[0].devices[0].model: model "antminer-s21" is a asic, not a gpu',
      'halls[0].racks[0].devices[0].address: only for kind asic (a gpu_node is polled through exporter)',
      'halls[0].racks[0].devices[0].gpus: at most 64',
    ]);
  });
});

describe('redfish', () => {
  it('polls env, pdu, cooling loops and meters that name a Redfish URL, with 15 s / 3000 ms / 32 by default', () => {
    const m = ok(site(`      - id: R{n}
        count: 2
        row: 1
        col: "{n}"
        rated_kw: 30
        devices:
          - { id: "{rack}-env", kind: env, redfish: "https://bmc-{r}.lan/redfish/v1/Chassis/1U/ThermalSubsystem/ThermalMetrics" }
          - { id: "{rack}-pdu", kind: pdu, redfish: "http://pdu-{r}.lan/redfish/v1/Chassis/1U/Power" }
          - { id: "{rack}-env2", kind: env }`, `cooling_loops:
  - { id: L1, fluid: water, racks: [R1], redfish: "https://cdu.lan/redfish/v1/ThermalEquipment/CDUs/1/PrimaryCoolantConnectors/1" }
meters:
  - { id: M1, scope: site, redfish: "https://meter.lan/redfish/v1/Chassis/1U/Sensors/TotalPower" }
  - { id: M2, scope: "hall:H" }
`));
    expect(m.devices.get('R2-env')).toEqual({
      id: 'R2-env', kind: 'env', hall: 'H', rack: 'R2', redfish: 'https://bmc-2.lan/redfish/v1/Chassis/1U/ThermalSubsystem/ThermalMetrics', collector: 'redfish',
    });
    expect(m.devices.get('R1-pdu')).toMatchObject({ redfish: 'http://pdu-1.lan/redfish/v1/Chassis/1U/Power', collector: 'redfish' });
    expect(m.devices.get('R1-env2')?.collector).toBeUndefined();
    expect(m.devices.get('L1')).toMatchObject({ kind: 'cooling_loop', collector: 'redfish', redfish: 'https://cdu.lan/redfish/v1/ThermalEquipment/CDUs/1/PrimaryCoolantConnectors/1' });
    expect(m.devices.get('M1')).toMatchObject({ kind: 'meter', collector: 'redfish', redfish: 'https://meter.lan/redfish/v1/Chassis/1U/Sensors/TotalPower' });
    expect(m.devices.get('M2')?.collector).toBeUndefined();
    expect(m.collectors.redfish).toEqual({ interval_s: 15, timeout_ms: 3000, concurrency: 32 });
    expect(ok(site('', 'collectors: { redfish: { interval_s: 60, concurrency: 4 } }')).collectors.redfish)
      .toEqual({ interval_s: 60, timeout_ms: 3000, concurrency: 4 });
  });

  it('reports a bad URL or a kind that cannot be polled by its path', () => {
    expect(errors(site(`      - id: R
        row: 1
        col: 1
        rated_kw: 30
        devices:
          - { id: a, kind: asic, model: antminer-s21, redfish: "http://x.lan/redfish/v1" }
          - { id: e, kind: env, redfish: "ftp://x.lan/redfish/v1" }
          - { id: p, kind: pdu, redfish: 5 }`, `cooling_loops:
  - { id: L1, fluid: water, redfish: "bmc.lan/x" }
meters:
  - { id: M1, scope: site, redfish: "" }
collectors: { redfish: { interval_s: -1 } }
`))).toEqual([
      'halls[0].racks[0].devices[0].redfish: only for kind env or pdu',
      'halls[0].racks[0].devices[2].redfish: expected a string',
      'halls[0].racks[0].devices[1].redfish: expected an http(s) URL, got "ftp://x.lan/redfish/v1"',
      'cooling_loops[0].redfish: expected an http(s) URL, got "bmc.lan/x"',
      'meters[0].redfish: expected a non-empty string',
      'collectors.redfish.interval_s: must be greater than 0',
    ]);
  });
});

describe('errors', () => {
  it('reports every fault by its exact path, in one pass', () => {
    const yaml = `site: { name: Faulty }
halls:
  - id: H
    racks:
      - id: R1
        row: 1
        col: 1
        rated_kw: 10
        colour: red
        devices:
          - { id: D1, kind: asic, model: antminer-s21, address: "10.0.0.1" }
          - { id: D2, kind: asic }
          - { id: D3, kind: asic, model: no-such-miner }
          - { id: D4, kind: toaster }
          - { id: D5, kind: gpu_node, exporter: "ftp://x/metrics" }
          - { id: D6, kind: pdu, collector: cgminer }
      - id: R2
        row: 1
        col: 1
        rated_kw: lots
        loop: NOPE
        devices:
          - { id: D1, kind: env }
      - id: R3
        row: 0
        col: 2
        rated_kw: -5
        cooling: water
cooling_loops:
  - { id: L1, fluid: oil, racks: [R1, R9] }
meters:
  - { id: MX, scope: "hall:Z" }
retention: { raw_hours: "48h" }
bogus: 1
`;
    expect(errors(yaml)).toEqual([
      'bogus: unknown key',
      'halls[0].racks[0].colour: unknown key',
      'halls[0].racks[0].devices[1].model: required for kind asic',
      'halls[0].racks[0].devices[2].model: unknown model "no-such-miner" (not in the catalogue: add it under models: or give nominal_power_w)',
      'halls[0].racks[0].devices[3].kind: expected one of asic, gpu_node, gpu, env, pdu, ups',
      'halls[0].racks[0].devices[5].collector: needs address',
      'halls[0].racks[1].rated_kw: expected a number',
      'halls[0].racks[2].row: expected a positive integer',
      'halls[0].racks[2].rated_kw: must be greater than 0',
      'halls[0].racks[2].cooling: expected one of air, immersion, liquid',
      'halls[0].racks[0].devices[0].address: expected host:port (e.g. 10.0.1.17:4028), got "10.0.0.1"',
      'halls[0].racks[0].devices[4].exporter: expected an http(s) URL, got "ftp://x/metrics"',
      'halls[0].racks[1]: rack "R2" is at row 1, col 1 of hall H, where rack "R1" already is (halls[0].racks[0])',
      'halls[0].racks[1].devices[0].id: duplicate device id "D1", first at halls[0].racks[0].devices[0].id',
      'cooling_loops[0].fluid: expected one of water, pg25, eg30, immersion_oil, pao',
      'cooling_loops[0].racks[1]: unknown rack "R9"',
      'halls[0].racks[1].loop: unknown cooling loop "NOPE"',
      'meters[0].scope: unknown hall "Z"',
      'retention.raw_hours: expected a number',
    ]);
  });

  it('names a missing required field with what it expects', () => {
    expect(errors(`site: {}\nhalls:\n  - racks:\n      - { id: R, row: 1, col: 1 }\n`)).toEqual([
      'site.name: expected a string',
      'halls[0].id: expected a string',
      'halls[0].racks[0].rated_kw: expected a number',
    ]);
    expect(errors('site: { name: T }\n')).toEqual(['halls: expected a list']);
    expect(errors('- just\n- a list\n')).toEqual(['(top level): expected an object with site and halls']);
  });

  it('reports duplicate ids with both places, counted instances included', () => {
    expect(errors(`site: { name: T }
halls:
  - id: H
    racks:
      - id: "A{n}"
        count: 3
        row: 1
        col: "{n}"
        rated_kw: 5
        devices:
          - { id: "{rack}-pdu", kind: pdu }
      - id: A2
        row: 2
        col: 1
        rated_kw: 5
      - id: B
        row: 2
        col: 2
        rated_kw: 5
        devices:
          - { id: "D{n}", kind: env, count: 3 }
          - { id: "D{n}", kind: env, count: 2, start: 3 }
  - id: H
    name: again
cooling_loops:
  - { id: D1, fluid: water }
meters:
  - { id: A1-pdu, scope: site }
`)).toEqual([
      'halls[0].racks[1].id: duplicate rack id "A2", first at halls[0].racks[0].id (n=2)',
      'halls[0].racks[2].devices[1].id: duplicate device id "D3" (n=3), first at halls[0].racks[2].devices[0].id (n=3)',
      'halls[1].id: duplicate hall id "H", first at halls[0].id',
      'cooling_loops[0].id: duplicate device id "D1", first at halls[0].racks[2].devices[0].id (n=1)',
      'meters[0].id: duplicate device id "A1-pdu", first at halls[0].racks[0].devices[0].id (rack n=1)',
    ]);
  });

  it('checks cooling loop membership both ways and the rack grid', () => {
    expect(errors(site(`      - { id: R1, row: 1, col: 1, rated_kw: 5, loop: L2 }
      - { id: R2, row: 1, col: 2, rated_kw: 5 }
  - id: K
    racks:
      - { id: K1, row: 1, col: 1, rated_kw: 5 }
      - { id: K2, row: 1, col: 2, rated_kw: 5, loop: L1 }`, `cooling_loops:
  - { id: L1, hall: H, fluid: water, racks: [R1, K1] }
  - { id: L2, fluid: pg25, racks: [R2, R1] }`))).toEqual([
      'cooling_loops[0].racks[1]: rack "K1" is in hall K, not H',
      'cooling_loops[1].racks[1]: rack "R1" is already on cooling loop "L1"',
      'halls[0].racks[0].loop: rack "R1" names loop "L2" but cooling loop "L1" lists it',
      'halls[1].racks[1].loop: rack "K2" is in hall K, but cooling loop "L1" serves hall H',
    ]);
  });

  it('reports YAML syntax and duplicate keys as errors, not exceptions', () => {
    const bad = parseConfig('site: { name: T\nhalls: [', NO_ENV);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]).toMatch(/^yaml: /);
    const dup = parseConfig('site: { name: T }\nsite: { name: U }\nhalls: []\n', NO_ENV);
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.errors[0]).toMatch(/^yaml: Map keys must be unique/);
  });

  it('validates model overrides', () => {
    expect(errors(site(`      - { id: R, row: 1, col: 1, rated_kw: 5 }`, `models:
  antminer-s21: { kind: gpu }
  new-miner: { kind: asic, nominal_power_w: 3000 }
  new-gpu: { nominal_power_w: 300, max_temp_c: 90, colour: green }`))).toEqual([
      'models.antminer-s21.kind: catalogue model "antminer-s21" is a asic',
      'models.new-miner.max_temp_c: expected a number',
      'models.new-gpu.colour: unknown key',
      'models.new-gpu.kind: expected one of asic, gpu',
    ]);
    // An uncatalogued model is fine on a device that carries its own figures.
    const m = ok(site(`      - id: R
        row: 1
        col: 1
        rated_kw: 5
        devices:
          - { id: x, kind: asic, model: prototype, nominal_ths: 100, nominal_power_w: 2000 }`));
    expect(m.devices.get('x')).toMatchObject({ model: 'prototype', nominal_ths: 100, nominal_power_w: 2000 });
  });

  it('takes an asic with no nominal hashrate anywhere: its nameplate comes from its reply (config > catalogue > reply)', () => {
    const m = ok(site(`      - id: R
        row: 1
        col: 1
        rated_kw: 5
        devices:
          - { id: x, kind: asic, model: prototype, nominal_power_w: 2000, address: "10.0.0.9:4028" }
          - { id: y, kind: asic, model: home-miner, address: "10.0.0.10:4028" }`, `models:
  home-miner: { kind: asic, nominal_power_w: 1200, max_temp_c: 90 }`));
    expect(m.devices.get('x')).toMatchObject({ model: 'prototype', nominal_power_w: 2000 });
    expect(m.devices.get('x')?.nominal_ths).toBeUndefined();
    expect(m.catalogue.get('home-miner')).toMatchObject({ kind: 'asic', nominal_power_w: 1200 });
    expect(m.catalogue.get('home-miner')?.nominal_ths).toBeUndefined();
    // Where neither the config nor the catalogue says, the figures say null (the reply's nameplate fills in).
    expect(effectiveFigures(m.catalogue, m.devices.get('y')!).nominal_ths).toBeNull();
    // The order: the device's own figure over its model's.
    expect(effectiveFigures(m.catalogue, { model: 'antminer-s21', nominal_ths: 190 }).nominal_ths).toBe(190);
    expect(effectiveFigures(m.catalogue, { model: 'antminer-s21' }).nominal_ths).toBe(200);
  });
});

describe('auth', () => {
  const base = site('      - { id: R, row: 1, col: 1, rated_kw: 5 }');

  it('adds FLOORWATCH_INGEST_TOKEN as a token named "env"', () => {
    // sha256("abc") is the FIPS 180-2 test vector.
    expect(ok(base, { FLOORWATCH_INGEST_TOKEN: 'abc' }).auth.ingest_tokens).toEqual([
      { name: 'env', sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
    ]);
    expect(ok(base, { FLOORWATCH_INGEST_TOKEN: '' }).auth.ingest_tokens).toEqual([]);
  });

  it('keeps only hashes and rejects ambiguous or malformed tokens', () => {
    const m = ok(`${base}auth:\n  ingest_tokens:\n    - { name: a, token_sha256: BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD }\n`);
    expect(m.auth.ingest_tokens).toEqual([{ name: 'a', sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' }]);
    expect(errors(`${base}auth:
  ingest_tokens:
    - { name: a, token: x, token_sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad }
    - { name: b, token_sha256: nothex }
    - { name: b }
  read_token: 42
`)).toEqual([
      'auth.ingest_tokens[0].token_sha256: give token or token_sha256, not both',
      'auth.ingest_tokens[1].token_sha256: expected 64 hex digits (a sha256)',
      'auth.ingest_tokens[2].token: expected token or token_sha256',
      'auth.ingest_tokens[2].name: duplicate token name "b", first at auth.ingest_tokens[1].name',
      'auth.read_token: expected a string',
    ]);
  });

  it('reads CORS origins and the ingest rate limit, rejecting origins with a path or no scheme', () => {
    const m = ok(`${base}auth:\n  cors_origins: [https://ops.example.com, "http://10.0.0.5:8080"]\n  ingest_rate_per_s: 50\n  ingest_burst: 120\n`);
    expect(m.auth.cors_origins).toEqual(['https://ops.example.com', 'http://10.0.0.5:8080']);
    expect(m.auth.ingest_rate_per_s).toBe(50);
    expect(m.auth.ingest_burst).toBe(120);
    expect(ok(base).auth.cors_origins).toBeUndefined();
    expect(errors(`${base}auth:\n  cors_origins: [ops.example.com, "https://a.example/x", 7]\n  ingest_rate_per_s: 0\n  ingest_burst: 1.5\n`)).toEqual([
      'auth.cors_origins[0]: expected an origin such as https://ops.example.com (scheme, host, optional port)',
      'auth.cors_origins[1]: expected an origin such as https://ops.example.com (scheme, host, optional port)',
      'auth.cors_origins[2]: expected an origin such as https://ops.example.com (scheme, host, optional port)',
      'auth.ingest_rate_per_s: must be greater than 0',
      'auth.ingest_burst: expected a positive integer',
    ]);
  });
});

describe('check-config command and loadConfigFile', () => {
  it('prints a summary and exits 0 for a valid file', () => {
    const lines: string[] = [];
    expect(checkConfigCommand(DEMO_CONFIG_PATH, (l) => lines.push(l), NO_ENV)).toBe(0);
    expect(lines).toEqual([
      `ok: ${DEMO_CONFIG_PATH}: site "Floorwatch demo — Hybrid Campus": 2 halls, 32 racks, 1275 devices ` +
        '(1040 asic, 160 gpu, 32 env, 31 pdu, 2 cooling_loop, 3 meter, 3 probe, 1 market, 1 ups, 2 network_link)',
    ]);
  });

  it('prints every error and exits 1 for an invalid file', () => {
    const path = join(tmp, 'bad.yaml');
    writeFileSync(path, site('      - { id: R, row: 1, col: 1, rated_kw: x, colour: red }'));
    const lines: string[] = [];
    expect(checkConfigCommand(path, (l) => lines.push(l), NO_ENV)).toBe(1);
    expect(lines).toEqual([
      'halls[0].racks[0].colour: unknown key',
      'halls[0].racks[0].rated_kw: expected a number',
      `${path}: 2 errors`,
    ]);
    expect(() => loadConfigFile(path, NO_ENV)).toThrow(ConfigError);
    try {
      loadConfigFile(path, NO_ENV);
    } catch (e) {
      expect((e as ConfigError).errors).toHaveLength(2);
    }
  });

  it('reports an unreadable file as an error line', () => {
    const lines: string[] = [];
    expect(checkConfigCommand(join(tmp, 'missing.yaml'), (l) => lines.push(l), NO_ENV)).toBe(1);
    expect(lines[0]).toMatch(/^cannot read .*missing\.yaml: ENOENT/);
  });
});

// The -q -x and dmon parsers on small hand-written documents: the DTD variants, N/A and `-` as null,
// throttle reasons Active (no capture has one), MIG devices not counted into their GPU.
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiDmon, parseDmonSamples } from '../../server/agent/smi-dmon.js';
import { parseNvidiaSmiXml, parseXml } from '../../server/agent/smi-xml.js';
import { AGENT_USAGE, runAgentCommand, smiReadings } from '../../server/agent/nvidia-smi.js';

const doc = (gpus: string): string => `<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<!-- a comment <gpu> that must not count -->
<nvidia_smi_log>
  <attached_gpus>2</attached_gpus>
${gpus}
</nvidia_smi_log>`;

const V12_MIG_GPU = `<gpu id="00000000:01:00.0">
  <product_name>A &amp; B</product_name>
  <uuid>GPU-1</uuid>
  <minor_number>3</minor_number>
  <mig_devices>
    <mig_device>
      <index>0</index>
      <fb_memory_usage><total>19968 MiB</total><used>12000 MiB</used></fb_memory_usage>
    </mig_device>
  </mig_devices>
  <clocks_event_reasons>
    <clocks_event_reason_gpu_idle>Active</clocks_event_reason_gpu_idle>
    <clocks_event_reason_sw_power_cap>Active</clocks_event_reason_sw_power_cap>
    <clocks_event_reason_hw_thermal_slowdown>Not Active
      </clocks_event_reason_hw_thermal_slowdown>
    <clocks_event_reason_hw_power_brake_slowdown>Not Active</clocks_event_reason_hw_power_brake_slowdown>
    <clocks_event_reason_sw_thermal_slowdown>Not Active</clocks_event_reason_sw_thermal_slowdown>
  </clocks_event_reasons>
  <fb_memory_usage>
    <total>81920 MiB</total>
    <used>50 MiB</used>
  </fb_memory_usage>
  <utilization><gpu_util>N/A</gpu_util><memory_util>N/A</memory_util></utilization>
  <ecc_errors><volatile>
    <sram_uncorrectable>2</sram_uncorrectable><dram_uncorrectable>3</dram_uncorrectable>
  </volatile></ecc_errors>
  <temperature><gpu_temp>27 C</gpu_temp><memory_temp>44 C</memory_temp></temperature>
  <gpu_power_readings>
    <power_draw>67.03 W</power_draw>
    <current_power_limit>500.00 W</current_power_limit>
    <max_power_limit>600.00 W</max_power_limit>
  </gpu_power_readings>
  <module_power_readings><power_draw>N/A</power_draw></module_power_readings>
  <clocks><graphics_clock>1275 MHz</graphics_clock><sm_clock>1275 MHz</sm_clock></clocks>
  <max_clocks><sm_clock>1410 MHz</sm_clock></max_clocks>
  <processes />
</gpu>`;

// pre-R535 names (power_readings, clocks_throttle_reasons, double_bit/total) on the second GPU
const OLD_GPU = `<gpu id="00000000:02:00.0">
  <clocks_throttle_reasons>
    <clocks_throttle_reason_sw_power_cap>Not Active</clocks_throttle_reason_sw_power_cap>
    <clocks_throttle_reason_hw_thermal_slowdown>Active</clocks_throttle_reason_hw_thermal_slowdown>
  </clocks_throttle_reasons>
  <fb_memory_usage><total>16280 MiB</total><used>0 MiB</used></fb_memory_usage>
  <utilization><gpu_util>7 %</gpu_util><memory_util>2 %</memory_util></utilization>
  <ecc_errors><volatile><double_bit><total>4</total></double_bit></volatile></ecc_errors>
  <temperature><gpu_temp>37 C</gpu_temp><memory_temp>N/A</memory_temp></temperature>
  <power_readings><power_draw>28.16 W</power_draw><enforced_power_limit>250.00 W</enforced_power_limit><power_limit>300.00 W</power_limit></power_readings>
  <clocks><sm_clock>405 MHz</sm_clock></clocks>
</gpu>`;

// DTD v13: average_/instant_power_draw only, sram split into parity/secded, all N/A on a GeForce
const V13_GPU = `<gpu id="00000000:06:00.0">
  <gpu_power_readings>
    <average_power_draw>8.81 W</average_power_draw>
    <instant_power_draw>8.44 W</instant_power_draw>
    <current_power_limit>70.00 W</current_power_limit>
  </gpu_power_readings>
  <ecc_errors><volatile>
    <sram_uncorrectable_parity>N/A</sram_uncorrectable_parity>
    <sram_uncorrectable_secded>N/A</sram_uncorrectable_secded>
    <dram_uncorrectable>N/A</dram_uncorrectable>
  </volatile></ecc_errors>
  <clocks><sm_clock>Requested functionality has been deprecated</sm_clock></clocks>
</gpu>`;

describe('parseXml', () => {
  it('builds the tree, trims wrapped text, decodes entities, keeps attributes, accepts <x />', () => {
    const root = parseXml(doc(V12_MIG_GPU));
    expect(root.name).toBe('nvidia_smi_log');
    const gpu = root.children.find((c) => c.name === 'gpu')!;
    expect(gpu.attrs).toEqual({ id: '00000000:01:00.0' });
    expect(gpu.children.find((c) => c.name === 'product_name')!.text).toBe('A & B');
    expect(gpu.children.find((c) => c.name === 'processes')).toEqual({ name: 'processes', attrs: {}, children: [], text: '' });
  });

  it('throws on a mismatched close tag, keeps what it read from truncated output', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(/<\/a> closes <b>/);
    expect(() => parseXml('no xml here')).toThrow(/no root/);
    const cut = parseXml('<nvidia_smi_log><gpu><uuid>GPU-9</uuid><fb_memory_us');
    expect(cut.children[0].children[0]).toMatchObject({ name: 'uuid', text: 'GPU-9' });
  });
});

describe('parseNvidiaSmiXml', () => {
  it('reads each <gpu> by position, with GPU-level values only and every DTD variant', () => {
    const gpus = parseNvidiaSmiXml(doc(`${V12_MIG_GPU}\n${OLD_GPU}\n${V13_GPU}`));
    expect(gpus.map((g) => [g.index, g.uuid, g.name])).toEqual([[0, 'GPU-1', 'A & B'], [1, null, null], [2, null, null]]);
    expect(gpus[0].metrics).toEqual({
      util_pct: null, mem_util_pct: null, // MIG on: N/A
      mem_used_mib: 50, mem_total_mib: 81920, // the GPU's own fb, not the MIG device's 12000 / 19968
      power_w: 67.03, power_limit_w: 500, // current_power_limit, not max 600
      temp_c: 27, mem_temp_c: 44,
      sm_clock_mhz: 1275, // <clocks>, not <max_clocks> 1410
      throttle_thermal: 0, // hw_thermal "Not Active" across a line break
      throttle_power: 1, // sw_power_cap Active (gpu_idle Active is not a throttle)
      ecc_dbe_total: 5, // sram 2 + dram 3
    });
    expect(gpus[1].metrics).toEqual({
      util_pct: 7, mem_util_pct: 2, mem_used_mib: 0, mem_total_mib: 16280,
      power_w: 28.16, power_limit_w: 250, // enforced 250 before the 300 configured
      temp_c: 37, mem_temp_c: null, sm_clock_mhz: 405,
      throttle_thermal: 1, throttle_power: 0, // clocks_throttle_reason_hw_thermal_slowdown Active
      ecc_dbe_total: 4, // double_bit/total
    });
    expect(gpus[2].metrics).toEqual({
      util_pct: null, mem_util_pct: null, mem_used_mib: null, mem_total_mib: null,
      power_w: 8.81, power_limit_w: 70, // average_power_draw before instant 8.44
      temp_c: null, mem_temp_c: null, sm_clock_mhz: null, // "deprecated" is no number
      throttle_thermal: null, throttle_power: null, ecc_dbe_total: null, // no reasons, all ECC N/A
    });
  });

  it('refuses a document that is not nvidia-smi -q -x', () => {
    expect(() => parseNvidiaSmiXml('<html><body/></html>')).toThrow(/not <nvidia_smi_log>/);
  });
});

describe('parseNvidiaSmiDmon', () => {
  const DMON = `# gpu    pwr  gtemp  mtemp     sm    mem   mclk   pclk     fb
# Idx      W      C      C      %      %    MHz    MHz     MB
    0    631     63     57    100     10   2619   1980  19818
    1     83     46      -      7      2  11251   2805   1474
    0    636     65     59     99      9   2619   1965  19820
# gpu    pwr  gtemp  mtemp     sm    mem   mclk   pclk     fb
# Idx      W      C      C      %      %    MHz    MHz     MB
    1     84     47      -      6      2  11251   2790   1480
    1     84     47
`;

  it('keeps every sample by column name, `-` as null, skips short rows', () => {
    const s = parseDmonSamples(DMON);
    expect(s.map((x) => [x.gpu, x.values.pwr, x.values.mtemp])).toEqual([[0, 631, 57], [1, 83, null], [0, 636, 59], [1, 84, null]]);
  });

  it('gives the last sample of each GPU in GPU order; what dmon lacks is null', () => {
    const gpus = parseNvidiaSmiDmon(DMON);
    expect(gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(gpus[0].metrics).toEqual({
      util_pct: 99, mem_util_pct: 9, mem_used_mib: 19820, mem_total_mib: null, power_w: 636, power_limit_w: null,
      temp_c: 65, mem_temp_c: 59, sm_clock_mhz: 1965, throttle_thermal: null, throttle_power: null, ecc_dbe_total: null,
    });
    expect(gpus[1].metrics).toMatchObject({ util_pct: 6, power_w: 84, temp_c: 47, mem_temp_c: null, sm_clock_mhz: 2790, mem_used_mib: 1480 });
  });

  it('reads nothing before a header, and nothing from the units line', () => {
    expect(parseDmonSamples('    0    631     63\n# Idx W C\n    0    631     63\n')).toEqual([]);
  });

  it('is what the agent pushes for --source dmon / xml', () => {
    expect(smiReadings(DMON, 'n1', 1000, 'dmon').map((r) => [r.device, r.ts, r.metrics.power_w])).toEqual([['n1/gpu0', 1000, 636], ['n1/gpu1', 1000, 84]]);
    expect(smiReadings(doc(V12_MIG_GPU), 'n2', 2000, 'xml').map((r) => [r.device, r.metrics.mem_used_mib])).toEqual([['n2/gpu0', 50]]);
  });
});

describe('agent --source', () => {
  it('names the sources in the usage and refuses any other before starting', async () => {
    expect(AGENT_USAGE).toContain('--source csv|xml|dmon');
    await expect(runAgentCommand(['nvidia-smi', '--url', 'http://127.0.0.1:9', '--token', 't', '--source', 'json'], () => {}))
      .rejects.toThrow('--source: expected one of csv, xml, dmon, got "json"');
  });
});

// mapRedfish on the DMTF mockups and on hand-edited variants of them: what counts as unknown (null),
// what is a configuration fault (CollectorError), and how a resource without @odata.type is recognised.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapRedfish, redfishSchema } from '../../server/collectors/redfish.js';
import type { JsonObject } from '../../server/collectors/types.js';
import type { DeviceKind } from '../../server/core/types.js';

const fx = (name: string): JsonObject => JSON.parse(readFileSync(`/work/shared/fixtures/gpu/${name}`, 'utf8')) as JsonObject;
const THERMAL = 'redfish_mockup_public-rackmount1_Chassis-1U_Thermal_legacy.json';
const POWER = 'redfish_mockup_public-acd_Chassis-1U_Power_legacy.json';
const INTAKE = 'redfish_mockup_public-acd_Sensor_IntakeTemp.json';
const CDU = 'redfish_mockup_public-cooling-unit_CDU1_PrimaryCoolantConnector.json';
const THERMAL_METRICS = 'redfish_mockup_public-acd_Chassis-1U_ThermalMetrics.json';
const ENV_METRICS = 'redfish_mockup_public-acd_Chassis-1U_EnvironmentMetrics.json';

const reason = (kind: DeviceKind, body: unknown): string => {
  try {
    mapRedfish(kind, body);
    return 'no error';
  } catch (e) {
    return (e as { reason?: string }).reason ?? 'no reason';
  }
};

describe('mapRedfish', () => {
  it('legacy Thermal: a Disabled intake sensor is null; two intakes are averaged; exhaust read when present', () => {
    const t = fx(THERMAL);
    const temps = t['Temperatures'] as JsonObject[];
    temps[2]['Status'] = { State: 'Disabled' };
    expect(mapRedfish('env', t)).toEqual({ inlet_temp_c: null });
    temps[2]['Status'] = { State: 'Enabled' };
    // a second intake at 27 beside the mockup's 25 → (25 + 27) / 2 = 26; an exhaust at 38.5
    temps.push({ PhysicalContext: 'Intake', ReadingCelsius: 27, Status: { State: 'Enabled' } });
    temps.push({ PhysicalContext: 'Exhaust', ReadingCelsius: 38.5 });
    expect(mapRedfish('env', t)).toEqual({ inlet_temp_c: 26, outlet_temp_c: 38.5 });
    // an intake with no ReadingCelsius counts as unknown, never as 0: the mean stays 26
    temps.push({ PhysicalContext: 'Intake', ReadingCelsius: null });
    expect(mapRedfish('env', t).inlet_temp_c).toBe(26);
  });

  it('Sensor: Absent or a null Reading is null; a Cel sensor that is not intake/exhaust is a fault', () => {
    const s = fx(INTAKE);
    expect(mapRedfish('env', s)).toEqual({ inlet_temp_c: 24.8 });
    expect(mapRedfish('env', { ...s, Status: { State: 'Absent' } })).toEqual({ inlet_temp_c: null });
    expect(mapRedfish('env', { ...s, Reading: null })).toEqual({ inlet_temp_c: null });
    expect(mapRedfish('env', { ...s, PhysicalContext: 'Exhaust', Reading: 41.5 })).toEqual({ outlet_temp_c: 41.5 });
    expect(mapRedfish('env', { ...s, ReadingType: 'Humidity', ReadingUnits: '%', Reading: 45.2 })).toEqual({ humidity_pct: 45.2 });
    expect(reason('env', { ...s, PhysicalContext: 'CPU' })).toBe('bad reply: no env readings in Sensor resource');
  });

  it('legacy Power: a Disabled PowerControl is null, not 0', () => {
    const p = fx(POWER);
    expect(mapRedfish('pdu', p)).toEqual({ power_w: 344 });
    (p['PowerControl'] as JsonObject[])[0]['Status'] = { State: 'Disabled' };
    expect(mapRedfish('pdu', p)).toEqual({ power_w: null });
  });

  it('CoolantConnector: an Absent connector reads all null; a null excerpt reading stays null', () => {
    const c = fx(CDU);
    expect(mapRedfish('cooling_loop', { ...c, FlowLitersPerMinute: { Reading: null } }))
      .toEqual({ supply_temp_c: 30, return_temp_c: 40, flow_lpm: null });
    expect(mapRedfish('cooling_loop', { ...c, Status: { State: 'Absent' } }))
      .toEqual({ supply_temp_c: null, return_temp_c: null, flow_lpm: null });
    expect(reason('env', c)).toBe('bad reply: no env readings in CoolantConnector resource');
  });

  it('EnvironmentMetrics temperature is inlet only when it is the resource itself or an intake/inlet/ambient sensor', () => {
    const e = fx(ENV_METRICS);
    expect(mapRedfish('env', e)).toEqual({ inlet_temp_c: null });
    expect(mapRedfish('env', { ...e, TemperatureCelsius: { Reading: 23.5, DataSourceUri: '/redfish/v1/Chassis/Rack1/Sensors/RackInletTemp' } }))
      .toEqual({ inlet_temp_c: 23.5 });
    expect(mapRedfish('env', { ...e, TemperatureCelsius: { Reading: 22 }, HumidityPercent: { Reading: 40 } }))
      .toEqual({ inlet_temp_c: 22, humidity_pct: 40 });
  });

  it('recognises resources without @odata.type by their shape, and PDU Outlet/Circuit by PowerWatts', () => {
    const { ['@odata.type']: _t, ...bare } = fx(THERMAL_METRICS);
    expect(redfishSchema(bare)).toBe('ThermalMetrics');
    expect(mapRedfish('env', bare)).toEqual({ inlet_temp_c: 24.8, outlet_temp_c: 40.5 });
    expect(mapRedfish('pdu', { '@odata.type': '#Outlet.v1_4_0.Outlet', PowerWatts: { Reading: 1520.5 } })).toEqual({ power_w: 1520.5 });
    expect(mapRedfish('meter', { '@odata.type': '#Circuit.v1_7_0.Circuit', PowerWatts: { Reading: 18250 } })).toEqual({ power_w: 18250 });
    expect(reason('pdu', [])).toBe('bad reply: not a JSON object');
    expect(reason('meter', { Name: 'x' })).toBe('bad reply: no meter readings in unknown resource');
  });
});

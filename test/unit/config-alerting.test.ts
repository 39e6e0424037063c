// The `alerting:` section (server/notify/config.ts): defaults, every error by its path in one pass.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config/index.js';
import { SMALL_SITE_YAML } from '../helpers/site.js';

function load(alerting: string) {
  return parseConfig(`${SMALL_SITE_YAML}\n${alerting}\n`, { env: {} });
}

describe('config alerting:', () => {
  it('is absent by default: nothing is sent', () => {
    const r = parseConfig(SMALL_SITE_YAML, { env: {} });
    expect(r.ok && r.model.alerting).toBeFalsy();
  });

  it('reads the Alertmanagers with their defaults', () => {
    const r = load(`alerting:
  alertmanagers:
    - { url: "http://am-1:9093/" }
    - { url: "https://am-2.example.net", bearer_token: s3cret, timeout_ms: 2500 }
    - { url: "http://am-3:9093", basic_auth: { username: fw, password: pw } }
  external_url: "https://wall.example.net/"`);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.model.alerting).toEqual({
      alertmanagers: [
        { url: 'http://am-1:9093', timeout_ms: 10_000 },
        { url: 'https://am-2.example.net', timeout_ms: 2500, bearer_token: 's3cret' },
        { url: 'http://am-3:9093', timeout_ms: 10_000, basic_auth: { username: 'fw', password: 'pw' } },
      ],
      resend_s: 60, queue_capacity: 10_000, external_url: 'https://wall.example.net',
    });
  });

  it('reports every error by its path, in one pass', () => {
    const r = load(`alerting:
  alertmanagers:
    - { url: "ftp://x" }
    - { url: "http://a:9093", bearer_token: t, basic_auth: { username: u, password: p } }
    - { url: "http://a:9093", timeout_ms: 0, nope: 1 }
    - { basic_auth: { username: u } }
    - 7
  resend_s: -1
  external_url: wall
  queue_capacity: 1.5
  extra: true`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'alerting.extra: unknown key',
      'alerting.alertmanagers[0].url: expected an http(s) URL, got "ftp://x"',
      'alerting.alertmanagers[1].basic_auth: give bearer_token or basic_auth, not both',
      'alerting.alertmanagers[2].nope: unknown key',
      'alerting.alertmanagers[2].timeout_ms: expected a positive integer',
      'alerting.alertmanagers[2].url: duplicate Alertmanager "http://a:9093", first at alerting.alertmanagers[1].url',
      'alerting.alertmanagers[3].url: expected an http(s) URL',
      'alerting.alertmanagers[3].basic_auth.password: expected a string',
      'alerting.alertmanagers[4]: expected an object',
      'alerting.resend_s: must be greater than 0',
      'alerting.external_url: expected an http(s) URL, got "wall"',
      'alerting.queue_capacity: expected a positive integer',
    ]);
  });

  it('needs at least one Alertmanager', () => {
    const r = load('alerting: { alertmanagers: [] }');
    expect(r.ok ? [] : r.errors).toEqual(['alerting.alertmanagers: expected at least one Alertmanager']);
    const r2 = load('alerting: { resend_s: 30 }');
    expect(r2.ok ? [] : r2.errors).toEqual(['alerting.alertmanagers: expected a list']);
    const r3 = load('alerting: 5');
    expect(r3.ok ? [] : r3.errors).toEqual(['alerting: expected an object']);
  });
});

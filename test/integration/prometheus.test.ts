// A real Prometheus (Debian's, installed by .ci/run) scrapes two Floorwatch instances on loopback; a PromQL
// sum over both is the sum of the site powers pushed to each.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/server.js';
import { post, SMALL_SITE_YAML, smallSite, tempDir } from '../helpers/site.js';
import { freePort, waitForHttp } from '../helpers/net.js';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const METRICS_TOKEN = 'scrape-secret-b';

interface PromVector {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(base: string, q: string): Promise<PromVector['data']['result']> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as PromVector;
  return body.status === 'success' ? body.data.result : [];
}

describe('a real Prometheus scraping two instances', () => {
  const t = tempDir('floorwatch-prom-');
  const servers: RunningServer[] = [];
  let prom: ChildProcess | undefined;
  let promOut = '';

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (prom.exitCode === null) prom.kill('SIGKILL');
    }
    for (const s of servers) await s.close();
    t.cleanup();
  });

  it('sum(floorwatch_site_it_power_watts) over both is 10 400 W + 7 250 W = 17 650 W', async () => {
    expect(existsSync(PROMETHEUS), `${PROMETHEUS} (apt-get install prometheus; .ci/run does)`).toBe(true);
    // Instance B's /metrics needs a bearer token, as a real site would set: Prometheus sends it from its config.
    const yamlB = `${SMALL_SITE_YAML}  metrics_token: ${METRICS_TOKEN}\n`;
    for (const [name, yaml, pduW] of [['a', SMALL_SITE_YAML, 10_400], ['b', yamlB, 7250]] as const) {
      const s = await startServer({ model: smallSite(yaml), dbPath: join(t.dir, `${name}.db`), port: 0, host: '127.0.0.1', log: () => {}, collectors: false, tickMs: 200 });
      servers.push(s);
      // The rack's PDU is its power (docs/ARCHITECTURE.md §4), the GPU rack has no reading: site IT power = the PDU.
      const r = await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-pdu', metrics: { power_w: pduW, feed_a_w: pduW / 2, feed_b_w: pduW / 2 } }] });
      expect(r.status).toBe(200);
    }
    const [a, b] = servers;
    await new Promise((r) => setTimeout(r, 300)); // one tick: figures include the push
    expect(await (await fetch(`${a.url}/metrics`)).text()).toMatch(/^floorwatch_site_it_power_watts 10400$/m);
    expect((await fetch(`${b.url}/metrics`)).status).toBe(401);
    expect(await (await fetch(`${b.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text()).toMatch(/^floorwatch_site_it_power_watts 7250$/m);

    const port = await freePort();
    const config = join(t.dir, 'prometheus.yml');
    writeFileSync(config, `global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: floorwatch
    static_configs:
      - targets: ['127.0.0.1:${a.port}']
        labels: { site: a }
  - job_name: floorwatch-b
    authorization: { type: Bearer, credentials: ${METRICS_TOKEN} }
    static_configs:
      - targets: ['127.0.0.1:${b.port}']
        labels: { site: b }
`);
    prom = spawn(PROMETHEUS, [
      `--config.file=${config}`, `--storage.tsdb.path=${join(t.dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn', '--storage.tsdb.retention.time=1h',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout?.on('data', (c: Buffer) => (promOut += c.toString()));
    prom.stderr?.on('data', (c: Buffer) => (promOut += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/-/ready`, 15_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${promOut}`);
    });

    // Wait for both targets to be scraped (up == 1), then ask for the sum.
    const deadline = Date.now() + 20_000;
    let up: Awaited<ReturnType<typeof query>> = [];
    let sum: Awaited<ReturnType<typeof query>> = [];
    while (Date.now() < deadline) {
      up = await query(base, 'up == 1');
      sum = await query(base, 'sum(floorwatch_site_it_power_watts)');
      const perSite = await query(base, 'floorwatch_site_it_power_watts');
      if (up.length === 2 && perSite.length === 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(up.map((u) => u.metric.site).sort(), promOut).toEqual(['a', 'b']);
    expect(sum).toHaveLength(1);
    expect(Number(sum[0].value[1])).toBe(17_650);
    const bySite = await query(base, 'sum by (site) (floorwatch_site_it_power_watts)');
    expect(Object.fromEntries(bySite.map((r) => [r.metric.site, Number(r.value[1])]))).toEqual({ a: 10_400, b: 7250 });
  }, 40_000);
});

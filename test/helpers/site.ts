export { tempDir } from './tmp.js';
import { parseConfig } from '../../server/config/load.js';
import type { SiteModel } from '../../server/core/types.js';

/** A small hybrid site: one mining rack (3 miners, PDU, env), one GPU rack (a 2-GPU node), a loop, meters. */
export const SMALL_SITE_YAML = `
site: { name: Test site }
halls:
  - id: M
    name: Mining
    racks:
      - id: M-01
        row: 1
        col: 1
        rated_kw: 12
        devices:
          - { id: "M-01-{n:02}", count: 3, kind: asic, model: antminer-s21 }
          - { id: M-01-pdu, kind: pdu }
          - { id: M-01-env, kind: env }
  - id: G
    name: AI
    racks:
      - id: G-01
        row: 1
        col: 1
        rated_kw: 5
        cooling: liquid
        loop: G-LOOP
        devices:
          - { id: G-01-n1, kind: gpu_node, model: h100-sxm, gpus: 2 }
          - { id: G-01-env, kind: env }
cooling_loops:
  - { id: G-LOOP, hall: G, fluid: water, racks: [G-01] }
meters:
  - { id: FAC, scope: site }
auth:
  ingest_tokens:
    - { name: test, token: test-token }
`;

export function smallSite(yaml = SMALL_SITE_YAML): SiteModel {
  const r = parseConfig(yaml, { env: {} });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.model;
}

export const TOKEN = 'test-token';

export async function post(url: string, body: unknown, opts: { token?: string | null; contentType?: string; raw?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: opts.raw ?? JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json: json as Record<string, unknown>, text };
}

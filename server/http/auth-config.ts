// The `auth:` section of the config: the ingest, read and metrics tokens (kept only as sha256), the CORS
// origins and the ingest rate limit that server/http/auth.ts and server/http/security.ts enforce.

import { createHash } from 'node:crypto';
import { asObject, at, checkKeys, err, field, keySet, readList, readPosInt, readPositive, readString, type Ctx, type Obj } from '../core/schema.js';
import type { AuthSettings } from '../core/types.js';

/** Environment variable whose value is accepted as one more ingest token, named "env". */
export const ENV_INGEST_TOKEN = 'FLOORWATCH_INGEST_TOKEN';

const AUTH_KEYS = keySet('ingest_tokens', 'read_token', 'read_token_sha256', 'metrics_token', 'metrics_token_sha256', 'cors_origins', 'ingest_rate_per_s', 'ingest_burst');
/** A browser origin as the Origin header carries it: scheme, host, optional port, nothing after. */
const ORIGIN_RE = /^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/;
const TOKEN_KEYS = keySet('name', 'token', 'token_sha256');
const SHA256_RE = /^[0-9a-fA-F]{64}$/;

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A secret given either in clear (`key`) or already hashed (`key_sha256`); only the hash is kept. */
function readSecret(c: Ctx, o: Obj, path: string, key: string, required: boolean): string | undefined {
  const clear = field(c, o, key, path, readString, false, '');
  const hashed = field(c, o, `${key}_sha256`, path, readString, false, '');
  if (clear !== undefined && hashed !== undefined) {
    err(c, at(path, `${key}_sha256`), `give ${key} or ${key}_sha256, not both`);
    return undefined;
  }
  if (hashed !== undefined) {
    if (SHA256_RE.test(hashed)) return hashed.toLowerCase();
    err(c, at(path, `${key}_sha256`), 'expected 64 hex digits (a sha256)');
    return undefined;
  }
  if (clear !== undefined) return sha256Hex(clear);
  if (required && o[key] === undefined && o[`${key}_sha256`] === undefined) err(c, at(path, key), `expected ${key} or ${key}_sha256`);
  return undefined;
}

export function readAuth(c: Ctx, v: unknown, env: NodeJS.ProcessEnv): AuthSettings {
  const out: AuthSettings = { ingest_tokens: [] };
  if (v !== undefined && v !== null) {
    const o = asObject(c, v, 'auth');
    if (o !== undefined) {
      checkKeys(c, o, 'auth', AUTH_KEYS);
      const list = field(c, o, 'ingest_tokens', 'auth', readList, false, '');
      const names = new Map<string, string>();
      list?.forEach((t, i) => {
        const p = `auth.ingest_tokens[${i}]`;
        const to = asObject(c, t, p);
        if (to === undefined) return;
        checkKeys(c, to, p, TOKEN_KEYS);
        const name = field(c, to, 'name', p, readString, true, 'expected a string');
        const sha = readSecret(c, to, p, 'token', true);
        if (name !== undefined) {
          const first = names.get(name);
          if (first !== undefined) err(c, at(p, 'name'), `duplicate token name "${name}", first at ${first}`);
          else names.set(name, at(p, 'name'));
        }
        if (name !== undefined && sha !== undefined) out.ingest_tokens.push({ name, sha256: sha });
      });
      const read = readSecret(c, o, 'auth', 'read_token', false);
      if (read !== undefined) out.read_token_sha256 = read;
      const metrics = readSecret(c, o, 'auth', 'metrics_token', false);
      if (metrics !== undefined) out.metrics_token_sha256 = metrics;
      const origins = field(c, o, 'cors_origins', 'auth', readList, false, '');
      if (origins !== undefined) {
        const ok: string[] = [];
        origins.forEach((x, i) => {
          const p = `auth.cors_origins[${i}]`;
          if (typeof x === 'string' && ORIGIN_RE.test(x)) ok.push(x);
          else err(c, p, 'expected an origin such as https://ops.example.com (scheme, host, optional port)');
        });
        out.cors_origins = ok;
      }
      const rate = field(c, o, 'ingest_rate_per_s', 'auth', readPositive, false, '');
      if (rate !== undefined) out.ingest_rate_per_s = rate;
      const burst = field(c, o, 'ingest_burst', 'auth', readPosInt, false, '');
      if (burst !== undefined) out.ingest_burst = burst;
    }
  }
  const envToken = env[ENV_INGEST_TOKEN];
  if (envToken !== undefined && envToken.length > 0) out.ingest_tokens.push({ name: 'env', sha256: sha256Hex(envToken) });
  return out;
}

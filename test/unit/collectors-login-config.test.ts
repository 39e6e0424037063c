// `collectors.braiins` takes a device login besides the usual three settings; the other collectors do not.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config/index.js';
import { createLogger } from '../../server/log.js';

const SITE = 'site: { name: T }\nhalls:\n  - { id: H, racks: [{ id: R, row: 1, col: 1, rated_kw: 10, devices: [] }] }\n';

function parse(collectors: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof parseConfig> {
  return parseConfig(`${SITE}collectors:\n${collectors}\n`, { env });
}

describe('collector login settings', () => {
  it('defaults to root/root for braiins and gives no login to the others', () => {
    const r = parse('  braiins: { interval_s: 30 }');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.model.collectors.braiins).toEqual({ interval_s: 30, timeout_ms: 5000, concurrency: 64, login: { username: 'root', password: 'root' } });
    expect(r.model.collectors.cgminer.login).toBeUndefined();
  });

  it('reads the password in clear or from the named environment variable', () => {
    const clear = parse('  braiins: { username: admin, password: s3cret }');
    const fromEnv = parse('  braiins: { password_env: BOS_PW }', { BOS_PW: 'from-env' });
    if (!clear.ok || !fromEnv.ok) throw new Error('expected valid configs');
    expect(clear.model.collectors.braiins.login).toEqual({ username: 'admin', password: 's3cret' });
    expect(fromEnv.model.collectors.braiins.login).toEqual({ username: 'root', password: 'from-env' });
  });

  it('names each mistake by its path', () => {
    const r = parse('  braiins: { password: a, password_env: B }\n  cgminer: { username: root }');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContain('collectors.braiins.password_env: give password or password_env, not both');
    expect(r.errors).toContain('collectors.cgminer.username: unknown key');
    const unset = parse('  braiins: { password_env: NOT_SET }');
    expect(unset.ok ? [] : unset.errors).toEqual(['collectors.braiins.password_env: environment variable NOT_SET is not set']);
  });

  it('keeps the password out of the log when the settings are logged whole', () => {
    const r = parse('  braiins: { password: hunter2 }');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(l), level: 'info' });
    log.info({ collectors: r.model.collectors }, 'settings');
    log.info({ login: r.model.collectors.braiins.login }, 'login');
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines[1]).toContain('"username":"root"');
  });
});

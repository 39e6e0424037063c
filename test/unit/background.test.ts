import { describe, expect, it } from 'vitest';
import { createBackgroundTasks } from '../../server/lifecycle/background.js';

describe('background tasks', () => {
  it('a throwing step is logged and counted by task, and its timer goes on', async () => {
    const logged: string[] = [];
    const counted: string[] = [];
    const bg = createBackgroundTasks({ log: (t, e) => logged.push(`${t}: ${e.message}`), count: (t) => counted.push(t) });
    let calls = 0;
    bg.every('retention', 5, () => {
      calls++;
      throw new Error('SQLITE_BUSY: database is locked');
    });
    await new Promise((r) => setTimeout(r, 60));
    bg.stopAll();
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(bg.errors().get('retention')).toBe(calls);
    expect(counted.length).toBe(calls);
    expect(logged[0]).toBe('retention: SQLITE_BUSY: database is locked');
    expect(bg.run('save', () => {})).toBe(true);
    expect(bg.run('save', () => { throw 'not an Error'; })).toBe(false);
    expect(logged.at(-1)).toBe('save: not an Error');
  });

  it('an async step (on the writer thread) is counted when it rejects, and not started again while pending', async () => {
    const logged: string[] = [];
    const bg = createBackgroundTasks({ log: (t, e) => logged.push(`${t}: ${e.message}`) });
    let starts = 0;
    let release: () => void = () => {};
    const slow = () => {
      starts++;
      return new Promise<void>((r) => (release = r));
    };
    bg.runAsync('retention', slow);
    bg.runAsync('retention', slow);
    expect(starts).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 0));
    bg.runAsync('retention', () => Promise.reject(new Error('database is locked')));
    await new Promise((r) => setTimeout(r, 0));
    expect(bg.errors().get('retention')).toBe(1);
    expect(logged).toEqual(['retention: database is locked']);
    bg.runAsync('retention', slow);
    expect(starts).toBe(2);
  });
});

describe('runRetryingBusy', () => {
  it('tries a locked step again after a short wait, and counts only a last failure or another error', async () => {
    const { runRetryingBusy } = await import('../../server/store/busy.js');
    const logged: string[] = [];
    const bg = createBackgroundTasks({ log: (t, e) => logged.push(`${t}: ${e.message}`) });
    const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    let calls = 0;
    expect(await runRetryingBusy(bg, 'heartbeat', () => { if (++calls < 3) throw busy(); })).toBe(true);
    expect(calls).toBe(3);
    expect(bg.errors().size).toBe(0);
    calls = 0;
    expect(await runRetryingBusy(bg, 'heartbeat', () => { calls++; throw busy(); })).toBe(false);
    expect(calls).toBe(9); // the first try and 8 more
    expect(bg.errors().get('heartbeat')).toBe(1);
    calls = 0;
    expect(await runRetryingBusy(bg, 'checkpoint', () => { calls++; throw new Error('disk I/O error'); })).toBe(false);
    expect(calls).toBe(1);
    expect(logged).toEqual(['heartbeat: database is locked', 'checkpoint: disk I/O error']);
  });
});

describe('background once', () => {
  it('runs after its delay (0: the next turn) under the guard; cancel and stopAll drop a pending one', async () => {
    const logged: string[] = [];
    const bg = createBackgroundTasks({ log: (t, e) => logged.push(`${t}: ${e.message}`) });
    const ran: string[] = [];
    bg.once('update', 0, () => ran.push('immediate'));
    bg.once('update', 10, () => {
      ran.push('timeout');
      throw new Error('no socket');
    });
    const cancel = bg.once('update', 5, () => ran.push('cancelled'));
    expect(ran).toEqual([]); // never within the call
    cancel();
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(['immediate']);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['immediate', 'timeout']);
    expect(bg.errors().get('update')).toBe(1);
    expect(logged).toEqual(['update: no socket']);
    bg.once('update', 0, () => ran.push('stopped'));
    bg.once('update', 30, () => ran.push('stopped'));
    bg.stopAll();
    await new Promise((r) => setTimeout(r, 40));
    expect(ran).toEqual(['immediate', 'timeout']);
  });
});

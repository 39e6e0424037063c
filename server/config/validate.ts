// Turns the parsed YAML tree into the typed SiteModel, checking everything once at load so nothing
// downstream re-validates. The readers are hand-written over one small kit (server/core/schema.ts says
// why), and each section's reader sits beside the code it configures: this file only assembles them
// with the topology (halls here; racks, devices, expansion, loops and meters in the files beside it).

import { readAlerts } from '../alerts/config.js';
import { readCollectors } from '../collectors/config.js';
import { catalogueMap } from '../core/catalogue.js';
import { readModels } from '../core/catalogue-config.js';
import { asObject, checkKeys, err, errorCount, field, isObj, keySet, readId, readList, readString } from '../core/schema.js';
import type { HallModel, SiteModel } from '../core/types.js';
import { readPrometheus } from '../exposition/config.js';
import { readEconomics, readPowerCaps } from '../figures/economics-config.js';
import { readAuth } from '../http/auth-config.js';
import { readAlerting } from '../notify/config.js';
import { readCurtailment } from '../live/curtailment-config.js';
import { readRemoteWrite } from '../remote/config.js';
import { readRetention } from '../store/retention-config.js';
import { expandRacks } from './expand.js';
import { readLinks } from './links.js';
import { readLoops, readMeters } from './loops.js';
import { readPools, readProbes } from './pools.js';
import { readMarkets } from './markets.js';
import { readRack, type RawRack } from './racks.js';
import type { SiteCtx, SiteIndex } from './topology.js';

export { MAX_COUNT, MAX_SITE_DEVICES } from './topology.js';

const ROOT_KEYS = keySet('site', 'halls', 'cooling_loops', 'meters', 'links', 'collectors', 'retention', 'auth', 'alerts', 'prometheus', 'models', 'alerting',
  'curtailment', 'pools', 'probes', 'markets', 'economics', 'power', 'remote_write');
const SITE_KEYS = keySet('name');
const HALL_KEYS = keySet('id', 'name', 'racks');

export type BuildResult = { ok: true; model: SiteModel } | { ok: false; errors: string[] };

/** Validates a parsed YAML tree and builds the site model; every problem is reported by its path. */
export function buildSiteModel(root: unknown, env: NodeJS.ProcessEnv): BuildResult {
  const c: SiteCtx = { errors: [], dropped: 0, devices: 0, overBudget: false, env };
  const finish = (): { ok: false; errors: string[] } => {
    const errors = [...c.errors];
    if (c.dropped > 0) errors.push(`(${c.dropped} more errors not shown)`);
    return { ok: false, errors };
  };
  if (!isObj(root)) {
    err(c, '(top level)', 'expected an object with site and halls');
    return finish();
  }
  checkKeys(c, root, '', ROOT_KEYS);

  const catalogue = catalogueMap();
  if (root['models'] !== undefined && root['models'] !== null) readModels(c, root['models'], catalogue);

  let name = '';
  const site = field(c, root, 'site', '', (cc, v, p) => asObject(cc, v, p), true, 'expected an object');
  if (site !== undefined) {
    checkKeys(c, site, 'site', SITE_KEYS);
    name = field(c, site, 'name', 'site', readString, true, 'expected a string') ?? '';
  }

  const index: SiteIndex = {
    devices: new Map(), deviceWhere: new Map(), nodeWhere: new Map(), racks: new Map(), rackWhere: new Map(),
    rackLoop: new Map(),
  };
  const halls: HallModel[] = [];
  const hallWhere = new Map<string, string>();
  const hallList = field(c, root, 'halls', '', readList, true, 'expected a list');
  if (hallList !== undefined && hallList.length === 0) err(c, 'halls', 'expected at least one hall');
  hallList?.forEach((h, hi) => {
    const hp = `halls[${hi}]`;
    const o = asObject(c, h, hp);
    if (o === undefined) return;
    checkKeys(c, o, hp, HALL_KEYS);
    const id = field(c, o, 'id', hp, readId, true, 'expected a string');
    const hallName = field(c, o, 'name', hp, readString, false, '');
    const raws: RawRack[] = [];
    const rackList = field(c, o, 'racks', hp, readList, false, '');
    rackList?.forEach((r, ri) => {
      const raw = readRack(c, r, `${hp}.racks[${ri}]`, catalogue);
      if (raw !== undefined) raws.push(raw);
    });
    if (id === undefined) return;
    const first = hallWhere.get(id);
    if (first !== undefined) {
      err(c, `${hp}.id`, `duplicate hall id "${id}", first at ${first}`);
      return;
    }
    hallWhere.set(id, `${hp}.id`);
    const hall: HallModel = { id, name: hallName ?? id, racks: [], rows: 0, cols: 0 };
    halls.push(hall);
    expandRacks(c, index, hall, raws);
  });

  const loops = readLoops(c, root['cooling_loops'], index, hallWhere, halls);
  const meters = readMeters(c, root['meters'], index, hallWhere);
  const pools = readPools(c, root['pools'], index);
  readProbes(c, root['probes'], index);
  readMarkets(c, root['markets'], index, hallWhere);
  const topo = { halls: new Set(hallWhere.keys()), racks: new Set(index.racks.keys()) };
  const economics = readEconomics(c, root['economics'], topo);
  const power = readPowerCaps(c, root['power'], topo);
  const links = readLinks(c, root['links'], index);

  const collectors = readCollectors(c, root['collectors'], env);
  const retention = readRetention(c, root['retention']);
  const auth = readAuth(c, root['auth'], env);
  const { pue_target, rules: alert_rules } = readAlerts(c, root['alerts']);
  const prometheus = readPrometheus(c, root['prometheus']);
  const alerting = readAlerting(c, root['alerting']);
  const curtailment = readCurtailment(c, root['curtailment'], (scope) =>
    scope === 'site' || (scope.startsWith('hall:') && halls.some((h) => `hall:${h.id}` === scope)) || (scope.startsWith('rack:') && index.racks.has(scope.slice(5))));
  const remote_write = readRemoteWrite(c, root['remote_write']);

  if (errorCount(c) > 0) return finish();
  return {
    ok: true,
    model: {
      name, halls, loops, meters, links, devices: index.devices, racks: index.racks, catalogue, collectors, retention, auth,
      prometheus, pue_target, alert_rules, ...(alerting !== null ? { alerting } : {}), curtailment, ...(pools.length ? { pools } : {}),
      economics, power, ...(remote_write.length > 0 ? { remote_write } : {}),
    },
  };
}

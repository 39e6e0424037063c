// `links:`: the site's WAN links. Each names the router that carries it (or none: a link fed by push) (an SNMP block like a device's,
// without its profile: a link is always read over IF-MIB), the interface on that router (ifIndex or
// ifName), its capacity, and optionally the TCP probe target whose latency and loss are the link's. Each
// link becomes a network_link device of its id, polled by the snmp collector; links on one router share
// one walk of it (the collector groups devices by agent).
//
//   links:
//     - { id: wan-a, router: &edge { address: 10.0.0.1, community: public }, interface: ether1, capacity_bps: 1e9 }
//     - { id: wan-b, router: *edge, interface: 2, capacity_bps: 5e8, probe: isp-b-gw }

import { readSnmpBlock } from '../collectors/snmp-config.js';
import { asObject, at, checkKeys, err, field, isObj, keySet, readId, readList, readPositive, readString } from '../core/schema.js';
import type { DeviceModel, LinkModel } from '../core/types.js';
import { probeId } from './pools.js';
import { addDevice, type SiteCtx, type SiteIndex } from './topology.js';

const LINK_KEYS = keySet('id', 'router', 'interface', 'capacity_bps', 'probe');
const SNMP = 'snmp';

export function readLinks(c: SiteCtx, v: unknown, reg: SiteIndex): LinkModel[] {
  const links: LinkModel[] = [];
  if (v === undefined || v === null) return links;
  const list = readList(c, v, 'links') ?? [];
  list.forEach((l, li) => {
    const lp = `links[${li}]`;
    const o = asObject(c, l, lp);
    if (o === undefined) return;
    checkKeys(c, o, lp, LINK_KEYS);
    const id = field(c, o, 'id', lp, readId, true, 'expected a string');
    const capacity_bps = field(c, o, 'capacity_bps', lp, readPositive, true, 'expected the link\'s capacity in bit/s');
    const probe = field(c, o, 'probe', lp, readString, false, '');
    // A `probes:` entry by its name (read before this): its TCP connects give the link's latency and loss.
    if (probe !== undefined && reg.devices.get(probeId(probe))?.kind !== 'probe') {
      err(c, at(lp, 'probe'), `no probe "${probe}" under probes: (its connects are the link's latency and loss)`);
    }
    const router = o['router'];
    // No router: the link is push only (ingest, the demo's simulator), like any device without an endpoint.
    const pushOnly = router === undefined || router === null;
    const iface = o['interface'];
    const ifaceOk = (typeof iface === 'number' && Number.isInteger(iface) && iface > 0) || (typeof iface === 'string' && iface !== '');
    if ((iface === undefined || iface === null) && !pushOnly) err(c, at(lp, 'interface'), 'required: the router\'s ifIndex or ifName that carries the link');
    else if (iface !== undefined && iface !== null && !ifaceOk) err(c, at(lp, 'interface'), 'expected an ifIndex (a positive integer) or an interface name (ifName or ifDescr)');
    let block: ReturnType<typeof readSnmpBlock>;
    if (pushOnly) { /* nothing to poll */ } else if (!isObj(router)) err(c, at(lp, 'router'), 'expected an object');
    else if (router['profile'] !== undefined || router['interface'] !== undefined) {
      err(c, at(lp, 'router'), 'a link is read over IF-MIB: give interface beside router, and no profile');
    } else block = readSnmpBlock(c, { ...router, profile: 'if-mib', interface: ifaceOk ? iface : 1 }, at(lp, 'router'), 'network_link');
    if (id === undefined || capacity_bps === undefined || (!pushOnly && (!ifaceOk || block === undefined))) return;
    const link: LinkModel = { id, capacity_bps };
    if (probe !== undefined) link.probe = probeId(probe);
    links.push(link);
    const dev: DeviceModel = block === undefined ? { id, kind: 'network_link' }
      : { id, kind: 'network_link', snmp: block.address, snmp_access: block.access, collector: SNMP };
    addDevice(c, reg, dev, { path: `${lp}.id` });
  });
  return links;
}

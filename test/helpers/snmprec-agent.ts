// A small SNMPv2c agent on a real UDP socket that replays an snmprec recording (snmpsim's format, one
// `OID|TYPE|VALUE` a line; TYPE per the snmpsim docs: 2 INTEGER, 4 OCTET STRING, 4x the same hex-encoded,
// 5 NULL, 6 OBJECT IDENTIFIER, 64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70
// Counter64; an `x` suffix means the value is hex). It answers GET, GETNEXT and GETBULK (RFC 3416) in BER
// (X.690), drops a request with another community (as real agents do: RFC 3584 §4.6 counts it and says
// nothing), and can misbehave on purpose: `endless` answers every GETBULK under a subtree with ever-growing
// OIDs still inside it, so a walk of it never reaches the end.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

type Value = { tag: number; bytes: Buffer };

/** The snmprec tags this replayer serves, to their BER tag. */
const TAGS: Record<string, number> = { '2': 0x02, '4': 0x04, '5': 0x05, '6': 0x06, '64': 0x40, '65': 0x41, '66': 0x42, '67': 0x43, '68': 0x44, '70': 0x46 };

function lenBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Buffer.from([0x80 | out.length, ...out]);
}
function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lenBytes(body.length), body]);
}
function intBytes(n: bigint): Buffer {
  const out: number[] = [];
  let v = n;
  for (;;) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
    if ((v === 0n && (out[0] & 0x80) === 0) || (v === -1n && (out[0] & 0x80) !== 0)) break;
  }
  return Buffer.from(out);
}
export function oidBytes(oid: string): Buffer {
  const arcs = oid.split('.').map((a) => BigInt(a));
  const out: number[] = [Number(arcs[0] * 40n + arcs[1])];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [];
    let v = arc;
    do {
      chunk.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] |= 0x80;
    out.push(...chunk);
  }
  return Buffer.from(out);
}
function oidString(b: Buffer): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (const byte of b) {
    v = (v << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const x = first < 80n ? first / 40n : 2n;
  return [x, first - x * 40n, ...arcs].join('.');
}

/** One snmprec line's value in BER. */
function encodeValue(type: string, value: string): Value | null {
  const hex = type.endsWith('x');
  const tag = TAGS[hex ? type.slice(0, -1) : type];
  if (tag === undefined) return null;
  const raw = hex ? Buffer.from(value, 'hex') : null;
  switch (tag) {
    case 0x04: case 0x44: return { tag, bytes: raw ?? Buffer.from(value, 'utf8') };
    case 0x05: return { tag, bytes: Buffer.alloc(0) };
    case 0x06: return { tag, bytes: oidBytes(value.replace(/^\./, '')) };
    case 0x40: return { tag, bytes: raw ?? Buffer.from(value.split('.').map(Number)) };
    case 0x02: return { tag, bytes: intBytes(BigInt(value)) };
    // Counter32, Gauge32, TimeTicks, Counter64 are unsigned: intBytes gives them a leading 0 where the top bit is set.
    default: return { tag, bytes: intBytes(BigInt(value)) };
  }
}

/** Compares OIDs arc by arc. */
export function compareOids(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Parses an snmprec file into sorted (oid, value) pairs; lines it cannot serve are skipped. */
export function parseSnmprec(text: string): { oid: string; value: Value }[] {
  const rows: { oid: string; value: Value }[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf('|');
    const b = line.indexOf('|', a + 1);
    if (a < 0 || b < 0) continue;
    const v = encodeValue(line.slice(a + 1, b), line.slice(b + 1).replace(/\r$/, ''));
    if (v !== null) rows.push({ oid: line.slice(0, a).replace(/^\./, ''), value: v });
  }
  return rows.sort((p, q) => compareOids(p.oid, q.oid));
}

interface Tlv { tag: number; body: Buffer; next: number }
function readTlv(buf: Buffer, at: number): Tlv {
  const tag = buf[at];
  let len = buf[at + 1];
  let off = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + i];
    off += n;
  }
  return { tag, body: buf.subarray(off, off + len), next: off + len };
}
/** A short two's-complement INTEGER (non-repeaters, max-repetitions). */
function readInt(b: Buffer): number {
  let u = 0;
  for (const byte of b) u = u * 256 + byte;
  return (b[0] & 0x80) ? u - 2 ** (8 * b.length) : u;
}

export interface Agent {
  port: number;
  /** requests answered so far */
  requests: () => number;
  close(): Promise<void>;
}

/** Serves `text` (an snmprec recording) under `community` on 127.0.0.1, a free port. */
export async function startSnmprecAgent(text: string, community: string, opts: { endless?: string } = {}): Promise<Agent> {
  const rows = parseSnmprec(text);
  const next = (oid: string): { oid: string; value: Value } | null => {
    if (opts.endless !== undefined && (oid === opts.endless || oid.startsWith(`${opts.endless}.`))) {
      // Always one more OID inside the subtree: arcs that grow forever.
      const tail = oid === opts.endless ? 0 : Number(oid.slice(opts.endless.length + 1).split('.')[0]);
      return { oid: `${opts.endless}.${tail + 1}`, value: { tag: 0x02, bytes: intBytes(BigInt(tail + 1)) } };
    }
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareOids(rows[mid].oid, oid) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return rows[lo] ?? null;
  };
  const exact = new Map(rows.map((r) => [r.oid, r.value]));
  const END = { tag: 0x82, bytes: Buffer.alloc(0) };
  const NO_SUCH_OBJECT = { tag: 0x80, bytes: Buffer.alloc(0) };
  let answered = 0;

  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    try {
      const top = readTlv(msg, 0);
      const version = readTlv(top.body, 0);
      const comm = readTlv(top.body, version.next);
      if (comm.body.toString('latin1') !== community) return; // silently dropped, like a real agent
      const pdu = readTlv(top.body, comm.next);
      const reqId = readTlv(pdu.body, 0);
      const f1 = readTlv(pdu.body, reqId.next);
      const f2 = readTlv(pdu.body, f1.next);
      const vbl = readTlv(pdu.body, f2.next);
      const asked: string[] = [];
      for (let at = 0; at < vbl.body.length;) {
        const vb = readTlv(vbl.body, at);
        asked.push(oidString(readTlv(vb.body, 0).body));
        at = vb.next;
      }
      const out: { oid: string; value: Value }[] = [];
      if (pdu.tag === 0xa0) {
        for (const o of asked) out.push({ oid: o, value: exact.get(o) ?? NO_SUCH_OBJECT });
      } else if (pdu.tag === 0xa1) {
        for (const o of asked) out.push(next(o) ?? { oid: o, value: END });
      } else if (pdu.tag === 0xa5) {
        const nonRep = Math.max(0, readInt(f1.body));
        const maxRep = Math.max(0, readInt(f2.body));
        asked.slice(0, nonRep).forEach((o) => out.push(next(o) ?? { oid: o, value: END }));
        for (const start of asked.slice(nonRep)) {
          let o = start;
          for (let i = 0; i < maxRep; i++) {
            const n = next(o);
            if (n === null) {
              out.push({ oid: o, value: END });
              break;
            }
            out.push(n);
            o = n.oid;
          }
        }
      } else return;
      answered++;
      const varbinds = Buffer.concat(out.map((v) => tlv(0x30, Buffer.concat([tlv(0x06, oidBytes(v.oid)), tlv(v.value.tag, v.value.bytes)]))));
      const body = Buffer.concat([tlv(0x02, reqId.body), tlv(0x02, Buffer.from([0])), tlv(0x02, Buffer.from([0])), tlv(0x30, varbinds)]);
      const reply = tlv(0x30, Buffer.concat([tlv(0x02, version.body), tlv(0x04, comm.body), tlv(0xa2, body)]));
      sock.send(reply, rinfo.port, rinfo.address);
    } catch {
      // a datagram it cannot parse is ignored, as an agent would
    }
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return {
    port: (sock.address() as AddressInfo).port,
    requests: () => answered,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

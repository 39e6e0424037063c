// A fake cgminer-API miner on loopback for the collector tests: answers each command from a table, one
// connection at a time like real firmware, with a trailing NUL like bmminer.
import net from 'node:net';
import { joinedReply } from '../../server/emulate/miners.js';

/**
 * 'split': the reply in 7-byte writes a few ms apart (a slow link or a firmware that flushes often);
 * 'no-nul': the reply without bmminer's trailing NUL (btminer, LuxOS and others send none).
 */
export type FakeBehaviour = 'reply' | 'hang' | 'reset-mid-reply' | 'garbage' | 'split' | 'no-nul';

export interface FakeMiner {
  port: number;
  commands: string[];
  /** epoch ms of each accepted connection */
  connections: number[];
  close(): Promise<void>;
}

export async function startFakeMiner(
  replies: Record<string, string>,
  behaviour: FakeBehaviour = 'reply',
  /** joins: answer any `a+b` whose parts are in the table, as cgminer's API does (else Invalid command) */
  opts: { joins?: boolean } = {},
): Promise<FakeMiner> {
  const commands: string[] = [];
  const connections: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    connections.push(Date.now());
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('utf8');
      let cmd: string;
      try {
        cmd = String((JSON.parse(buf) as { command: unknown }).command);
      } catch {
        return; // wait for the rest of the request
      }
      commands.push(cmd);
      if (behaviour === 'hang') return;
      if (behaviour === 'garbage') return void socket.end('HTTP/1.0 400 Bad Request\r\n\r\n<html>nope</html>');
      const reply = replies[cmd] ?? (opts.joins ? joinedReply(replies, cmd) : undefined) ?? '{"STATUS":[{"STATUS":"E","When":0,"Code":14,"Msg":"Invalid command","Description":"fake"}],"id":1}';
      if (behaviour === 'reset-mid-reply') {
        socket.write(reply.slice(0, Math.floor(reply.length / 2)), () => socket.resetAndDestroy());
        return;
      }
      if (behaviour === 'no-nul') return void socket.end(reply);
      if (behaviour === 'split') return void writeSplit(socket, Buffer.from(reply + '\0', 'utf8'));
      socket.end(reply + '\0');
    });
  });
  server.maxConnections = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    commands,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What a miner that supports the joined command sends back to `summary+stats`. */
export function joined(parts: { summary?: string; stats?: string }): string {
  const out: string[] = [];
  if (parts.summary) out.push(`"summary":[${parts.summary}]`);
  if (parts.stats) out.push(`"stats":[${parts.stats}]`);
  return `{${out.join(',')},"id":1}`;
}

function writeSplit(socket: net.Socket, bytes: Buffer, at = 0): void {
  if (socket.destroyed) return;
  if (at >= bytes.length) return void socket.end();
  socket.write(bytes.subarray(at, at + 7));
  setTimeout(() => writeSplit(socket, bytes, at + 7), 1);
}

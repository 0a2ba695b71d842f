import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { waitFor } from './wait.ts';

/** One command Redis executed, as MONITOR reports it: its arguments, and `lua` when a script ran it. */
export interface MonitoredCommand {
  args: string[];
  source: 'lua' | 'client';
}

const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', '"': '"', '\\': '\\' };

/** One quoted argument of a MONITOR line, unescaped as redis-server escapes it (sdscatrepr). */
function unquote(quoted: string): string {
  return quoted.replace(/\\(x[0-9a-f]{2}|.)/g, (_, e: string) => (e.length === 3 ? String.fromCharCode(parseInt(e.slice(1), 16)) : (escapes[e] ?? e)));
}

/** `+1712098529.327989 [0 127.0.0.1:62763] "get" "key"` -> the command, or null for anything else. */
function parseLine(line: string): MonitoredCommand | null {
  const head = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] /.exec(line);
  if (!head) return null;
  const args = [...line.slice(head[0].length).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => unquote(m[1]!));
  return { args, source: head[1] === 'lua' ? 'lua' : 'client' };
}

export interface RedisWatch {
  stop(): void;
  /**
   * Resolves once MONITOR has reported every command Redis ran before this call's marker: an ECHO
   * sent through `client` (after what it sent before, on its connection). MONITOR lines arrive in
   * the order Redis ran the commands, some time after; markers are not passed to `onCommand`.
   */
  caughtUp(client: { echo(message: string): Promise<string> }): Promise<void>;
}

const MARKER = 'monitor-caught-up:';

/**
 * Watches every command a Redis server executes (MONITOR) on a plain socket. ioredis' `monitor()`
 * is not used: when the server's `+OK` and the first monitored lines arrive in one chunk, as they
 * do on a Redis busy with other test files, it throws "Command queue state error".
 * Resolves once MONITOR is on: whatever is sent after that is seen.
 */
export function watchRedis(url: string, onCommand: (command: MonitoredCommand) => void): Promise<RedisWatch> {
  const { hostname, port } = new URL(url);
  const socket = new Socket();
  const markers = new Set<string>();
  const caughtUp = async (client: { echo(message: string): Promise<string> }) => {
    const marker = MARKER + randomUUID();
    await client.echo(marker);
    await waitFor(() => markers.has(marker), { what: `MONITOR reports the marker ${marker}` });
  };
  return new Promise((resolve, reject) => {
    let pending = '';
    let on = false;
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      const lines = pending.split('\r\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (!on) {
          if (line !== '+OK') return reject(new Error(`MONITOR answered ${line}`));
          on = true;
          resolve({ stop: () => socket.destroy(), caughtUp });
          continue;
        }
        const command = parseLine(line);
        if (command?.args[0]?.toLowerCase() === 'echo' && command.args[1]?.startsWith(MARKER)) markers.add(command.args[1]);
        else if (command) onCommand(command);
      }
    });
    socket.connect(Number(port), hostname, () => socket.write('MONITOR\r\n'));
  });
}

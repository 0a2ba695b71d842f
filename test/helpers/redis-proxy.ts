import { createServer, Socket, type AddressInfo } from 'node:net';

/** Round trips seen by a counting proxy: per connection, and in all. */
export interface TurnCounts {
  /** Client write bursts that followed a reply (or opened the connection): each is one round trip. */
  turns: number;
  /** Raw client chunks, for comparison (a burst may arrive in several). */
  chunks: number;
}

/**
 * A TCP proxy between an app and redis-server that counts round trips: for each connection, a
 * burst of bytes from the client that follows the server's last answer (or opens the
 * connection) is one round trip. Commands the client pipelines (auto-pipelining: everything issued
 * in one tick leaves in one write) count once, as they cost one network latency; a command sent
 * only after a reply counts again. At concurrency 1 this is exactly the number of sequential
 * Redis round trips a request makes.
 */
export async function startCountingProxy(target: { host: string; port: number }): Promise<{
  url: string;
  counts(): TurnCounts;
  close(): Promise<void>;
}> {
  const totals: TurnCounts = { turns: 0, chunks: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    let serverSpokeLast = true;
    client.on('data', (chunk) => {
      totals.chunks++;
      if (serverSpokeLast) totals.turns++;
      serverSpokeLast = false;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      serverSpokeLast = true;
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
    upstream.connect(target.port, target.host);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    counts: () => ({ ...totals }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

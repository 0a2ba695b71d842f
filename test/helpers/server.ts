import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { BuiltApp } from '../../server/app.ts';

/** Serves an app over real HTTP on 127.0.0.1 and a free port. */
export async function listen(app: BuiltApp['app']): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
  });
}

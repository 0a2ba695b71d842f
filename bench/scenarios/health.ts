import { Hono } from 'hono';
import type { BenchScenario } from '../lib/scenario.ts';
import { runLoad } from '../lib/load.ts';

/** GET /health through the whole middleware stack, against a bare Hono route returning the same JSON. */
export const healthScenario: BenchScenario = {
  name: 'health',
  async run({ buildApp, serve, settings }) {
    const built = await buildApp();
    const body = await (await built.app.request('/health')).json();
    const bare = new Hono().get('/health', (c) => c.json(body));
    const appServer = await serve(built.app.fetch);
    const bareServer = await serve(bare.fetch);
    try {
      const load = (url: string) =>
        runLoad({ ...settings, request: () => ({ url: `${url}/health` }) });
      await load(bareServer.url); // warm-up
      const bareResult = await load(bareServer.url);
      const appResult = await load(appServer.url);
      return {
        results: { bare: bareResult, app: appResult },
        ratios: { 'app/bare throughput': appResult.rps / bareResult.rps },
      };
    } finally {
      await appServer.close();
      await bareServer.close();
      await built.close();
    }
  },
};

import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createRuntime, StartupError } from './runtime.ts';
import { onShutdownSignal } from './shutdown.ts';
import { startupPhases } from './startup-phases.ts';

/** Node entry: `npm start`. */
async function main(): Promise<void> {
  const phases = startupPhases();
  phases.end('imports');
  const config = loadConfig(process.env);
  const logger = createLogger(config.LOG_LEVEL);
  const runtime = await createRuntime(config, logger, { phases, clientAddress: (c) => getConnInfo(c).remote.address });

  const server = serve({ fetch: runtime.app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    // Once, at info: what start-up spent its time on (docs/operations.md, "Start-up").
    phases.end('listen');
    logger.info('listening', { url: `http://${config.HOST}:${info.port}`, runtime: `node ${process.version}`, ...phases.summary() });
    runtime.startBackground();
  });

  onShutdownSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    // Stop accepting; idle keep-alive sockets close now, busy ones once their response is done
    // (swept every 100 ms: close() only closes the sockets idle when it is called, and the others
    // would wait out their keep-alive timeout). Live event streams never finish by themselves:
    // drain ends them so close() can complete.
    await new Promise<void>((resolve) => {
      const closeIdle = () => ('closeIdleConnections' in server ? server.closeIdleConnections() : undefined);
      const sweep = setInterval(closeIdle, 100);
      server.close(() => {
        clearInterval(sweep);
        resolve();
      });
      runtime.drain();
      closeIdle();
    });
    await runtime.close();
  });
}

main().catch((err: unknown) => {
  const oneLine = err instanceof ConfigError || err instanceof StartupError;
  process.stderr.write(oneLine ? `${(err as Error).message}\n` : `start-up failed: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});

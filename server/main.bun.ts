/// <reference types="bun" />
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createRuntime, StartupError } from './runtime.ts';
import { onShutdownSignal } from './shutdown.ts';
import { startupPhases } from './startup-phases.ts';

/** Bun entry: `npm run start:bun`. Same runtime, served by Bun.serve. */
async function main(): Promise<void> {
  const phases = startupPhases();
  phases.end('imports');
  const config = loadConfig(process.env);
  const logger = createLogger(config.LOG_LEVEL);
  let server: ReturnType<typeof Bun.serve> | undefined;
  const runtime = await createRuntime(config, logger, {
    phases,
    clientAddress: (c) => server?.requestIP(c.req.raw)?.address,
  });

  server = Bun.serve({ fetch: runtime.app.fetch, port: config.PORT, hostname: config.HOST, idleTimeout: 60 });
  // Once, at info: what start-up spent its time on (docs/operations.md, "Start-up").
  phases.end('listen');
  logger.info('listening', { url: `http://${config.HOST}:${server.port}`, runtime: `bun ${Bun.version}`, ...phases.summary() });
  runtime.startBackground();

  onShutdownSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    // stop() without force waits for in-flight requests and refuses new ones; live event
    // streams are among them and never finish by themselves, so drain ends them.
    const stopped = server?.stop();
    runtime.drain();
    await stopped;
    await runtime.close();
  });
}

main().catch((err: unknown) => {
  const oneLine = err instanceof ConfigError || err instanceof StartupError;
  process.stderr.write(oneLine ? `${(err as Error).message}\n` : `start-up failed: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});

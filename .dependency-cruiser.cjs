/**
 * The import rules of the house (docs/architecture.md, "Layers"), checked by
 * test/foundation/architecture.test.ts. Type-only imports count: a circle of types is still a circle.
 */
const lowerLayers = '^server/(redis|db)/|^server/(config|logger|errors|clock|timeout|memo|version|lifecycle|http-env|identity)\\.ts$';
const compositionRoot = '^server/(app|services|runtime|router|client-router|main\\.node|main\\.bun)\\.ts$|^server/admin/';
/** The tRPC adapter carries the whole service bag in its context: it alone may name the Services type. */
const trpcAdapter = '^server/(context|transport/trpc-handler)\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'No import circles, type-only imports included.', from: {}, to: { circular: true } },
    {
      name: 'shared-is-the-contract',
      severity: 'error',
      comment: 'shared/ imports nothing of the server, the client, the bench or the tests.',
      from: { path: '^shared/' },
      to: { path: '^(server|client|bench|test)/' },
    },
    {
      name: 'client-takes-only-types-from-server',
      severity: 'error',
      comment: 'No server code may reach a client bundle.',
      from: { path: '^client/' },
      to: { path: '^server/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'lower-layers-look-down',
      severity: 'error',
      comment: 'redis, db, config, logger, errors and the lifecycle, Hono env and identity types import no feature, no step of the request path and not the composition root.',
      from: { path: lowerLayers },
      to: { path: '^server/(features|middleware|transport|openapi|metrics)/|^server/(app|services|runtime|router|context|trpc|deps)\\.ts$' },
    },
    {
      name: 'nothing-imports-the-composition-root',
      severity: 'error',
      from: { path: '^server/', pathNot: [compositionRoot, trpcAdapter] },
      to: { path: compositionRoot },
    },
    {
      name: 'features-meet-through-services',
      severity: 'error',
      comment: "A feature uses another only through its service, types, errors or guards module, never its internals.",
      from: { path: '^server/features/([^/]+)/' },
      to: { path: '^server/features/', pathNot: ['^server/features/$1/', '^server/features/[^/]+/[^/]+\\.(service|types|errors|guards)\\.ts$'] },
    },
    {
      name: 'features-do-not-import-middleware',
      severity: 'error',
      comment: 'Middleware is composed by app.ts; a feature reads what it resolved through the Hono env (c.var).',
      from: { path: '^server/features/' },
      to: { path: '^server/middleware/' },
    },
    { name: 'product-does-not-import-tests-or-bench', severity: 'error', from: { path: '^(server|client|shared)/' }, to: { path: '^(test|bench)/' } },
    { name: 'tests-do-not-import-bench', severity: 'error', from: { path: '^test/' }, to: { path: '^bench/' } },
    {
      name: 'bench-takes-only-test-helpers',
      severity: 'error',
      comment: 'The bench may start servers and proxies the way the tests do, not run their files.',
      from: { path: '^bench/' },
      to: { path: '^test/', pathNot: '^test/helpers/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Two cores here: two files at a time. Files share one Redis, each under its own key prefix.
    maxWorkers: 2,
    // Deadlines for a loaded machine (two suites at once), not speed limits: speed is the bench's job.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});

import { defineConfig } from 'vitest/config';

/**
 * Tests that need no database: pure logic, the CDK app, the dev server over fake handlers.
 * They form the `offline` project (`npm run test:offline`, seconds, no Java); everything else
 * is `connected` and runs against the DynamoDB Local the run starts. `npm test` runs both. A
 * test listed here that reaches for the database fails: the offline project starts none.
 */
const OFFLINE = [
  'test/architecture/**/*.test.ts',
  'test/http/**/*.test.ts',
  'test/cdk/**/*.test.ts',
  'test/local/**/*.test.ts',
  'test/api/dev-server-gateway.test.ts',
  'test/api/network-rules-schema.test.ts',
  'test/api/openapi.test.ts',
  'test/contract/**/*.test.ts',
  'test/fuzz/default-model.test.ts',
  'test/cli/policy-args.test.ts',
  'test/cli/progress-bar.test.ts',
  'test/domain/network-rules.test.ts',
  'test/jobs/rate-limiter.test.ts',
  'test/proof/history-checker.test.ts',
  'test/requests/table.test.ts',
];

const shared = {
  // Every test file checks every fetch answer for the credentials it sent.
  setupFiles: ['test/support/secrets.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  env: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'offline', include: OFFLINE } },
      {
        test: {
          ...shared,
          name: 'connected',
          include: ['test/**/*.test.ts'],
          exclude: OFFLINE,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});

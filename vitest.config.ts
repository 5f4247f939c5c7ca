import { defineConfig } from 'vitest/config';

// One project per workspace package. Fault-injection suites live apart
// (vitest.faults.config.ts) and run with `npm run test:faults`.
export default defineConfig({
  test: {
    // Most test time is spent waiting on servers, child processes and databases, so two
    // files at a time finish sooner than one even on two cores (the default is cores − 1).
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'salesforce-emulator',
          root: 'packages/salesforce-emulator',
          include: ['test/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'server',
          root: 'packages/server',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'node',
          root: 'packages/node',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

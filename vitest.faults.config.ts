import { defineConfig } from 'vitest/config';

// Fault injection (`npm run test:faults`): instances killed, PostgreSQL restarted, the
// provider failing. Files run one at a time: they stop shared services.
export default defineConfig({
  test: {
    root: 'packages/server',
    include: ['test-faults/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});

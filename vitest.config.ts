import { defineConfig } from 'vitest/config';

// Unit tests run in Node: pure logic, the fake hub, the model builder and the oracle through
// onnxruntime-node. Browser behaviour is covered by Playwright in tests/e2e.
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

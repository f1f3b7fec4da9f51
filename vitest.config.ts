import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

// Two projects run the same portable test modules: Node (dawn.node on lavapipe) and headless Chromium
// (SwiftShader). Files named *.node.test.ts need Node (fs, child processes, ../shared data) and run there
// only. CPU-only suites (ref/, scaling/) run in Node only: running them twice proves nothing new.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const portable = ['tests/gpu/**/*.test.ts', 'tests/kernels/**/*.test.ts', 'tests/tokenizer/**/*.test.ts', 'tests/data/**/*.test.ts', 'tests/model/**/*.test.ts', 'tests/train/**/*.test.ts', 'tests/eval/**/*.test.ts', 'tests/api.test.ts'];

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'dist/test-results.json' },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/bench/**'],
          environment: 'node',
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          name: 'chromium',
          include: portable,
          exclude: ['tests/**/*.node.test.ts', 'tests/bench/**'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: CHROMIUM,
                args: ['--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});

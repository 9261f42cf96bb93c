// vitest runs the lockdrop suites (`npm test`): every *.test.mts / *.test.ts file.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // a check explores thousands of schedules, more than vitest's default 5 s allows
    testTimeout: 120_000,
  },
});

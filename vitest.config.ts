import { defineConfig } from "vitest/config";

export default defineConfig({
  // "lockdrop/model" and "lockdrop/vitest" resolve to the sources, not dist/ (package.json
  // "exports"); the other three are vite's default server conditions, which this replaces
  ssr: { resolve: { conditions: ["lockdrop-source", "module", "node", "development|production"] } },
  test: {
    // the suite `lockdrop init` scaffolds runs here too, against the sources
    include: ["test/**/*.test.ts", "templates/**/*.test.mts"],
    testTimeout: 120_000,
    pool: "threads",
  },
});

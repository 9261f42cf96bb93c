// The examples are a user's repository in miniature: their own vitest run. Only the
// "lockdrop-source" condition is particular to this repository, where "lockdrop" is the
// checkout itself: it makes lockdrop/vitest and lockdrop/model its TypeScript sources
// rather than a build in dist/. An installed lockdrop needs no lockdrop-specific config.
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: import.meta.dirname,
  ssr: { resolve: { conditions: ["lockdrop-source", "module", "node", "development|production"] } },
  test: {
    include: ["*.test.ts"],
    testTimeout: 120_000,
  },
});

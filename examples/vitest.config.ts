// The examples are a user's repository in miniature: their own vitest run. lockdrop
// ships TypeScript sources, so vitest must transform it rather than hand it to Node.
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ["*.test.ts"],
    testTimeout: 120_000,
    server: { deps: { inline: ["lockdrop"] } },
  },
});

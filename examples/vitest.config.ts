// The examples are a user's repository in miniature: their own vitest run.
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: import.meta.dirname,
  test: { include: ["*.test.ts"], testTimeout: 120_000 },
});

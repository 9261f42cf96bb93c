npx vitest run --config examples/vitest.config.ts
# exit 0: the expectations hold

import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      exclude: ["packages/*/src/main.ts", "packages/*/src/**/*-main.ts", "packages/*/src/demo.ts", "packages/*/src/**/*.d.ts"],
      reporter: ["text-summary", "json-summary"],
      thresholds: { lines: 80 }
    }
  }
})

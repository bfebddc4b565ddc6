// @ts-check
import tseslint from "typescript-eslint"
import security from "eslint-plugin-security"

export default tseslint.config(
  { ignores: ["**/node_modules/**", "coverage/**", "dist/**", "**/dist/**", "bench/results/**"] },
  ...tseslint.configs.recommended,
  security.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-namespace": "off",
      // Object-key access is the normal way to read maps parsed from JSON; the rule has no type information.
      "security/detect-object-injection": "off",
      "require-yield": "off"
    }
  },
  {
    files: ["packages/server/src/**/*.ts", "packages/schema/src/**/*.ts"],
    rules: { "no-console": "error" }
  },
  {
    // Security lint is an error where the tree is clean (the HTTP perimeter). It stays a warning in the rest of
    // packages/*/src until the remaining findings there are fixed or justified (see docs/security.md).
    files: ["packages/server/src/http/**/*.ts", "scripts/audit.mjs"],
    rules: Object.fromEntries(
      Object.keys(security.configs.recommended.rules ?? {})
        .filter((rule) => rule !== "security/detect-object-injection")
        .map((rule) => [rule, "error"])
    )
  }
)

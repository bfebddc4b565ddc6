/**
 * The binary itself: `--version` (fast path and through @effect/cli agree with package.json), `--help` with
 * examples on every command, completions, and the bin running the sources through tsx when there is no bundle.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { VERSION } from "../src/version.js"
import { buildBundle, decodeJson, ROOT, runSre, tempConfigHome } from "./support/run.js"
import { Schema } from "effect"

let entry: string
const configHome = tempConfigHome()
beforeAll(() => {
  entry = buildBundle()
})

describe("sre binary", () => {
  it("VERSION matches package.json, and both --version paths print it", async () => {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the package's own manifest
    const manifest = readFileSync(join(ROOT, "packages/cli/package.json"), "utf8")
    const pkg = decodeJson(Schema.Struct({ version: Schema.String }), manifest)
    expect(VERSION).toBe(pkg.version)
    expect((await runSre(["--version"], { entry, configHome })).stdout).toBe(`${VERSION}\n`)
    // with another option, --version goes through @effect/cli
    expect((await runSre(["--version", "--no-color"], { entry, configHome })).stdout.trim()).toBe(VERSION)
  })

  it("every command has --help with examples", async () => {
    for (const command of [
      [],
      ["investigate"],
      ["chat"],
      ["list"],
      ["show"],
      ["health"],
      ["config"],
      ["config", "set"]
    ]) {
      const r = await runSre([...command, "--help"], { entry, configHome })
      expect(r.code, command.join(" ")).toBe(0)
      expect(r.stdout, command.join(" ")).toMatch(/Examples?:/)
    }
  })

  it("prints shell completions", async () => {
    const r = await runSre(["--completions", "bash"], { entry, configHome })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("investigate")
  })

  it("without a subcommand prints a short usage hint", async () => {
    const r = await runSre([], { entry, configHome })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("sre investigate")
  })

  it("bin/sre.js runs the sources through tsx when asked (no build step needed)", async () => {
    const r = await runSre(["config", "list"], { entry: "bin", configHome, timeoutMs: 60_000 })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("server = (not set)")
  })
})

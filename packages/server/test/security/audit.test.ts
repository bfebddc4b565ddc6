import { describe, expect, it } from "vitest"
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "sre-audit-"))

const write = (name: string, value: unknown): string => {
  const path = join(dir, name)
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- test fixture in a fresh temp dir / the repo
  writeFileSync(path, JSON.stringify(value))
  return path
}

const report = write("report.json", {
  vulnerabilities: {
    lodash: {
      name: "lodash",
      severity: "critical",
      range: "<4.17.21",
      fixAvailable: true,
      via: [
        {
          source: 1106913,
          name: "lodash",
          severity: "critical",
          title: "Command Injection",
          url: "https://github.com/advisories/GHSA-35jh-r3h4-6jhm",
          range: "<4.17.21"
        }
      ]
    },
    "some-wrapper": { name: "some-wrapper", severity: "critical", via: ["lodash"], fixAvailable: false },
    ms: {
      name: "ms",
      severity: "moderate",
      via: [
        {
          source: 1,
          name: "ms",
          severity: "moderate",
          title: "ReDoS",
          url: "https://github.com/advisories/GHSA-x",
          range: "<2"
        }
      ]
    }
  },
  metadata: { vulnerabilities: { critical: 2, high: 0, moderate: 1, low: 0, info: 0 } }
})

const audit = (...args: Array<string>) => {
  const res = spawnSync(process.execPath, [join(ROOT, "scripts/audit.mjs"), ...args], { encoding: "utf8" })
  return { code: res.status, out: res.stdout, err: res.stderr }
}

describe("scripts/audit.mjs", () => {
  it("fails on a critical advisory that is not allowlisted, and names it", () => {
    const r = audit("--input", report, "--allowlist", write("empty.json", { advisories: [] }))
    expect(r.code).toBe(1)
    expect(r.out).toContain("BLOCKING critical lodash")
    expect(r.out).toContain("GHSA-35jh-r3h4-6jhm")
    expect(r.out).not.toContain("BLOCKING moderate")
  })

  it("passes when the advisory is allowlisted until a future date, fails again once it expired", () => {
    const allow = write("allow.json", {
      advisories: [
        { id: "GHSA-35jh-r3h4-6jhm", package: "lodash", reason: "template() is never called", expires: "2099-01-01" }
      ]
    })
    const ok = audit("--input", report, "--allowlist", allow, "--today", "2030-01-01")
    expect(ok.code).toBe(0)
    expect(ok.out).toContain("allowed  critical lodash")
    const expired = audit("--input", report, "--allowlist", allow, "--today", "2100-01-01")
    expect(expired.code).toBe(1)
    expect(expired.err).toContain("expired")
  })

  it("rejects a malformed allowlist, and skips with a warning when the audit endpoint is unavailable", () => {
    expect(audit("--input", report, "--allowlist", write("bad.json", { advisories: [{ id: "x" }] })).code).toBe(2)
    const offline = audit("--input", write("offline.json", { message: "405 Method Not Allowed", statusCode: 405 }))
    expect(offline.code).toBe(0)
    expect(offline.err).toContain("WARNING")
  })

  it("the repository's allowlist is valid", () => {
    const r = audit("--input", write("clean.json", { vulnerabilities: {}, metadata: { vulnerabilities: {} } }))
    expect(r.code).toBe(0)
    expect(r.out).toContain("OK")
  })
})

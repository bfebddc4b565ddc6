import { describe, expect, it } from "vitest"
import { analyze } from "../../src/analysis/index.js"
import {
  loadScenarios,
  localScenarioDir,
  mentionsAll,
  sandboxScenarioDir,
  sharedScenarioDir,
  type Scenario
} from "./scenario-fixture.js"

const score = (scenarios: ReadonlyArray<Scenario>) =>
  scenarios.map((s) => {
    const c = analyze(s.snapshot)
    const m = mentionsAll(c.suggested_root_cause, s.mustMention)
    return {
      id: s.id,
      pass: m.pass,
      missing: m.missing,
      confidence: c.confidence,
      top: c.findings[0]?.analyzer ?? "-",
      rootCause: c.suggested_root_cause
    }
  })

const table = (title: string, rows: ReturnType<typeof score>): string =>
  [
    `${title}: ${rows.filter((r) => r.pass).length}/${rows.length} pass`,
    ...rows.map(
      (r) =>
        `  ${r.pass ? "PASS" : "FAIL"} ${r.id.padEnd(48)} ${r.top.padEnd(16)} ${r.confidence.padEnd(6)} ${r.pass ? "" : `missing=${JSON.stringify(r.missing)} :: ${r.rootCause}`}`
    )
  ].join("\n")

describe("accuracy over scenario files", () => {
  const shared = loadScenarios(sharedScenarioDir)
  const sandbox = loadScenarios(sandboxScenarioDir)
  const local = loadScenarios(localScenarioDir)

  it("diagnoses every shared scenario", () => {
    const rows = score(shared)
    console.log(table("shared scenarios", rows))
    expect(shared.length).toBeGreaterThan(0)
    expect(rows.filter((r) => !r.pass)).toEqual([])
  })

  it("diagnoses this folder's own fixtures", () => {
    const rows = score(local)
    console.log(table("local fixtures", rows))
    expect(rows.filter((r) => !r.pass)).toEqual([])
  })

  it.runIf(sandbox.length > 0)("reports sandbox scenarios", () => {
    const rows = score(sandbox)
    console.log(table("sandbox scenarios", rows))
    expect(rows.length).toBe(sandbox.length)
  })
})

/**
 * Evidence snapshot at creation, through the real path (sandbox → kubernetes-mcp-server → orchestrator over HTTP):
 * the named namespace's events and pods and the workload's log tails are stored as `snapshot/...` evidence.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { testAppConfig } from "../../src/config/AppConfig.js"
import { startInProcess } from "../../src/runtime.js"

const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url))
const scenario = join(repoRoot, "packages/sandbox/scenarios/resourcequota-exceeded-scale-up.json")

describe("evidence snapshot at creation", () => {
  it.live("stores the namespace's events, pods and the workload's logs as snapshot evidence", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const config = testAppConfig({
          dbPath: join(mkdtempSync(join(tmpdir(), "sre-snap-")), "db.sqlite"),
          shutdownGracePeriod: Duration.millis(200)
        })
        const { url } = yield* startInProcess(config, { sandboxScenario: scenario, disableLlm: true })
        const created = yield* Effect.promise(() =>
          fetch(`${url}/api/v1/incidents`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ description: "pick-planner in warehouse does not scale up" })
          }).then((r) => r.json() as Promise<{ incident_id: string }>)
        )
        let incident: {
          status: string
          evidence: Record<string, unknown>
          investigation_steps: Array<{ kind: string; reasoning?: string }>
        } = {
          status: "pending",
          evidence: {},
          investigation_steps: []
        }
        for (let i = 0; i < 200 && (incident.status === "pending" || incident.status === "running"); i++) {
          yield* Effect.sleep("200 millis")
          incident = yield* Effect.promise(() =>
            fetch(`${url}/api/v1/incidents/${created.incident_id}`).then((r) => r.json() as Promise<typeof incident>)
          )
        }
        expect(incident.status).toBe("completed")
        const keys = Object.keys(incident.evidence).filter((k) => k.startsWith("snapshot/"))
        expect(keys).toContain("snapshot/Event warehouse")
        expect(keys).toContain("snapshot/Pod warehouse")
        expect(keys.some((k) => k.startsWith("snapshot/log warehouse/pick-planner-"))).toBe(true)
        expect(String(incident.evidence["snapshot/Event warehouse"])).toContain("FailedCreate")
        // the snapshot is the first step, before the triage's calls
        expect(incident.investigation_steps[0]?.reasoning ?? "").toContain("Evidence snapshot captured at creation")
      })
    )
  )
})

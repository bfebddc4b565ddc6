/**
 * The whole product path with an LLM: sandbox cluster → kubernetes-mcp-server (stdio) → orchestrator over HTTP →
 * the real ChatOpenAI client against the mock LLM server. With a working LLM the agent concludes after the triage;
 * with an LLM that is down the incident still completes with the analyzers' diagnosis and says so.
 */
import { describe, expect, it } from "@effect/vitest"
import { type MockLlm, autoAgent, startMockLlm } from "@sre/testkit"
import { ConfigProvider, Duration, Effect } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { testAppConfig } from "../../src/config/AppConfig.js"
import { startInProcess } from "../../src/runtime.js"

const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url))
const scenario = join(repoRoot, "packages/sandbox/scenarios/resourcequota-exceeded-scale-up.json")

interface IncidentView {
  readonly status: string
  readonly concluded_by?: string
  readonly suggested_root_cause?: string
  readonly llm_usage?: { readonly calls: number }
  readonly investigation_steps: ReadonlyArray<{
    readonly kind: string
    readonly tool_name?: string
    readonly reasoning?: string
  }>
}

const investigate = (llm: MockLlm, extra: Record<string, string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const config = testAppConfig({
        dbPath: join(mkdtempSync(join(tmpdir(), "sre-llm-")), "db.sqlite"),
        shutdownGracePeriod: Duration.millis(200)
      })
      const env = new Map<string, string>([
        ["LLM_BASE_URL", llm.url],
        ["LLM_API_KEY", "sk-test-integration-0123456789"],
        ["LLM_MODEL", "mock"],
        ...Object.entries(extra)
      ])
      const { url } = yield* startInProcess(config, { sandboxScenario: scenario }).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(env))
      )
      const created = yield* Effect.promise(() =>
        fetch(`${url}/api/v1/incidents`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ description: "pick-planner in warehouse does not scale up to 8 replicas" })
        }).then((r) => r.json() as Promise<{ incident_id: string }>)
      )
      let incident: IncidentView = { status: "pending", investigation_steps: [] }
      for (let i = 0; i < 300 && (incident.status === "pending" || incident.status === "running"); i++) {
        yield* Effect.sleep("200 millis")
        incident = yield* Effect.promise(() =>
          fetch(`${url}/api/v1/incidents/${created.incident_id}`).then((r) => r.json() as Promise<IncidentView>)
        )
      }
      return incident
    })
  )

describe("investigation with an LLM through the real path", () => {
  it.live("the LLM agent investigates after the triage and concludes", () =>
    Effect.gen(function* () {
      const llm = yield* Effect.promise(() =>
        startMockLlm({
          defaultReply: autoAgent({ toolRounds: 2, finalText: "pick-planner is blocked by its ResourceQuota" })
        })
      )
      const incident = yield* investigate(llm, {}).pipe(Effect.ensuring(Effect.promise(() => llm.close())))
      expect(incident.status).toBe("completed")
      expect(incident.concluded_by).toBe("llm+analyzers")
      expect(incident.llm_usage?.calls ?? 0).toBeGreaterThanOrEqual(3)
      const kinds = incident.investigation_steps.map((s) => s.kind)
      expect(kinds).toContain("analysis") // the triage's findings
      expect(kinds).toContain("llm")
      expect(kinds[kinds.length - 1]).toBe("conclusion")
      // the LLM was offered only read-only tools, and its tool calls went through MCP
      const offered = new Set(llm.chatRequests.flatMap((r) => (r.chat?.tools ?? []).map((t) => t.function.name)))
      expect([...offered].some((name) => /delete|create|patch|scale|exec|run/.test(name))).toBe(false)
      // the triage's findings were in the agent's context
      expect(JSON.stringify(llm.chatRequests.map((r) => r.body))).toContain("ResourceQuota")
    })
  )

  it.live("an LLM that is down: the incident completes with the analyzers and says the LLM was unavailable", () =>
    Effect.gen(function* () {
      const llm = yield* Effect.promise(() => startMockLlm({ defaultReply: { status: 503 } }))
      const incident = yield* investigate(llm, {
        LLM_MAX_RETRIES: "1",
        LLM_RETRY_BUDGET: "2 seconds"
      }).pipe(Effect.ensuring(Effect.promise(() => llm.close())))
      expect(incident.status).toBe("completed")
      expect(incident.concluded_by).toBe("analyzers")
      expect(incident.suggested_root_cause).toMatch(/quota/i)
      const note = incident.investigation_steps.find(
        (s) => s.kind === "note" && (s.reasoning ?? "").includes("LLM was unavailable")
      )
      expect(note).toBeDefined()
      expect(llm.chatRequests.length).toBeGreaterThanOrEqual(2) // it did retry
    })
  )
})

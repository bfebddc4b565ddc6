import { describe, expect, it } from "@effect/vitest"
import { Incident, type InvestigationStep } from "@sre/schema"
import { Effect, Layer } from "effect"
import { stringify } from "yaml"
import { Agent, type InvestigationContext } from "../../src/investigation/Agent.js"
import { layerDiagnosisAgent, type LlmInvestigate } from "../../src/investigation/DiagnosisAgent.js"
import { layerTest as graphTest } from "../../src/knowledge/KnowledgeGraph.js"
import { type CannedTool, layerTest as mcpTest } from "../../src/mcp/McpToolManager.js"

const ns = "orders"
const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "order-worker-6b7c8d9f5-abcde",
    namespace: ns,
    labels: { app: "order-worker" },
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "order-worker-6b7c8d9f5", controller: true }]
  },
  spec: {
    nodeName: "node-a",
    containers: [
      { name: "worker", image: "registry.local/order-worker:1.2.3", resources: { limits: { memory: "256Mi" } } }
    ]
  },
  status: {
    phase: "Running",
    containerStatuses: [
      {
        name: "worker",
        ready: false,
        restartCount: 7,
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } }
      }
    ]
  }
}
const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "order-worker", namespace: ns },
  spec: {
    selector: { matchLabels: { app: "order-worker" } },
    template: { metadata: { labels: { app: "order-worker" } } }
  }
}
const replicaSet = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name: "order-worker-6b7c8d9f5",
    namespace: ns,
    ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "order-worker", controller: true }]
  }
}

const lists: Record<string, ReadonlyArray<unknown>> = {
  Namespace: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }],
  Pod: [pod],
  Deployment: [deployment],
  ReplicaSet: [replicaSet]
}

const calls: Array<Record<string, unknown>> = []
const kubernetesTools: ReadonlyArray<CannedTool> = [
  {
    server: "kubernetes",
    name: "resources_list",
    output: (args) => {
      calls.push(args)
      const items = lists[String(args["kind"])] ?? []
      return items.length === 0 ? "" : stringify(items)
    }
  },
  {
    server: "kubernetes",
    name: "pods_log",
    output: (args) => {
      calls.push(args)
      return args["previous"] === true
        ? "starting worker\njava.lang.OutOfMemoryError: Java heap space\n"
        : "starting worker\n"
    }
  }
]

const makeCtx = (steps: Array<InvestigationStep>, evidence: Map<string, unknown>): InvestigationContext => ({
  incident: new Incident({
    id: "00000000-0000-4000-8000-000000000001",
    description: "order-worker in orders keeps restarting",
    status: "running",
    source: "api",
    created_at: "2026-01-01T00:00:00.000Z",
    updated_at: "2026-01-01T00:00:00.000Z",
    evidence: {},
    extracted_entities: {},
    investigation_steps: []
  }),
  attempt: 1,
  recordStep: (step) =>
    Effect.sync(() => {
      const saved = { ...step, index: steps.length + 1 }
      steps.push(saved)
      return saved
    }),
  putEvidence: (key, value) => Effect.sync(() => void evidence.set(key, value)),
  setEntities: () => Effect.void
})

const agentLayer = (tools: ReadonlyArray<CannedTool>, llm?: LlmInvestigate) =>
  layerDiagnosisAgent(llm).pipe(Layer.provide(mcpTest(tools)), Layer.provide(graphTest({ services: new Map() })))

const pendingPod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "report-builder-5f6d7c8b9-xyzab", namespace: ns, labels: { app: "report-builder" } },
  spec: {
    containers: [
      { name: "builder", image: "registry.local/report-builder:2.0.0", resources: { requests: { memory: "64Gi" } } }
    ]
  },
  status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] }
}
const expiredEvent = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "report-builder-5f6d7c8b9-xyzab.1", namespace: ns },
  involvedObject: { kind: "Pod", name: "report-builder-5f6d7c8b9-xyzab", namespace: ns },
  type: "Warning",
  reason: "FailedScheduling",
  message:
    "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
  count: 12
}

describe("diagnosis agent", () => {
  it.effect("uses events from the creation snapshot that have since expired from the cluster", () =>
    Effect.gen(function* () {
      const agent = yield* Agent
      const base = makeCtx([], new Map())
      const ctx: InvestigationContext = {
        ...base,
        incident: new Incident({
          ...base.incident,
          description: "report-builder in orders is stuck pending",
          evidence: { [`snapshot/Event ${ns}`]: stringify([expiredEvent]) }
        })
      }
      const outcome = yield* agent.investigate(ctx)
      expect(outcome.suggested_root_cause).toMatch(/Insufficient memory|memory/i)
      expect(outcome.suggested_root_cause).toContain("report-builder")
    }).pipe(
      Effect.provide(
        agentLayer([
          {
            server: "kubernetes",
            name: "resources_list",
            output: (args) =>
              args["kind"] === "Namespace"
                ? stringify(lists["Namespace"])
                : args["kind"] === "Pod"
                  ? stringify([pendingPod])
                  : "" // the events have expired from the cluster
          },
          { server: "kubernetes", name: "pods_log", output: () => "" }
        ])
      )
    )
  )

  it.effect("gathers evidence through the Kubernetes tools and concludes with the analyzers without an LLM", () =>
    Effect.gen(function* () {
      const steps: Array<InvestigationStep> = []
      const evidence = new Map<string, unknown>()
      const agent = yield* Agent
      const outcome = yield* agent.investigate(makeCtx(steps, evidence))
      expect(outcome.concluded_by).toBe("analyzers")
      expect(outcome.suggested_root_cause).toMatch(/OOMKilled|out of memory/i)
      expect(outcome.suggested_root_cause).toContain("order-worker")
      expect(outcome.suggested_root_cause).toContain("256Mi")
      expect(outcome.confidence_score).toBe("high")
      expect(outcome.supporting_evidence.every((k) => evidence.has(k))).toBe(true)
      expect(steps.filter((s) => s.kind === "tool_call").length).toBeGreaterThan(5)
      expect(steps.map((s) => s.kind).slice(-3)).toEqual(["analysis", "note", "conclusion"])
      expect(calls.some((c) => c["previous"] === true)).toBe(true)
    }).pipe(Effect.provide(agentLayer(kubernetesTools)))
  )

  it.effect("falls back to the analyzers when the LLM is unavailable, and says so", () =>
    Effect.gen(function* () {
      const steps: Array<InvestigationStep> = []
      const agent = yield* Agent
      const outcome = yield* agent.investigate(makeCtx(steps, new Map()))
      expect(outcome.concluded_by).toBe("analyzers")
      expect(
        steps.some((s) => s.kind === "note" && (s.reasoning ?? "").includes("LLM was unavailable (HTTP 503"))
      ).toBe(true)
    }).pipe(
      Effect.provide(
        agentLayer(kubernetesTools, () =>
          Effect.fail({ _tag: "LlmUnavailable" as const, message: "HTTP 503 after 4 retries" })
        )
      )
    )
  )

  it.effect("uses the LLM's conclusion when it has one", () =>
    Effect.gen(function* () {
      const agent = yield* Agent
      const outcome = yield* agent.investigate(makeCtx([], new Map()))
      expect(outcome.concluded_by).toBe("llm+analyzers")
      expect(outcome.suggested_root_cause).toBe("llm says so")
    }).pipe(
      Effect.provide(
        agentLayer(kubernetesTools, (_ctx, triage) =>
          Effect.succeed({
            suggested_root_cause: "llm says so",
            confidence_score: "medium" as const,
            supporting_evidence: triage?.evidenceKeys.slice(0, 1) ?? [],
            recommended_next_steps: [],
            concluded_by: "llm+analyzers" as const
          })
        )
      )
    )
  )

  it.effect("fails clearly with neither an LLM nor a Kubernetes MCP server", () =>
    Effect.gen(function* () {
      const agent = yield* Agent
      const error = yield* Effect.flip(agent.investigate(makeCtx([], new Map())))
      expect(error.message).toContain("no Kubernetes MCP server is connected")
    }).pipe(Effect.provide(agentLayer([])))
  )
})

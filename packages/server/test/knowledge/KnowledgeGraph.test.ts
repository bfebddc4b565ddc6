/**
 * The knowledge graph: parsing the shipped example, errors with line numbers, neighbourhoods, finding services in
 * text, cycles, the layers.
 */
/* eslint-disable security/detect-non-literal-fs-filename -- temporary files and /proc paths chosen by the test */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Exit, Layer, Option } from "effect"
import {
  describeNeighbourhood,
  findCycles,
  findInText,
  graphFromServices,
  KnowledgeGraph,
  layer,
  layerTest,
  loadKnowledgeGraph,
  neighbourhoodOf,
  parseKnowledgeGraph,
  type KnowledgeGraphData
} from "../../src/knowledge/KnowledgeGraph.js"

const exampleFile = fileURLToPath(new URL("../../../../knowledge_graph.yaml", import.meta.url))
const example: KnowledgeGraphData = Either.getOrThrow(parseKnowledgeGraph(readFileSync(exampleFile, "utf8")))

const errorOf = (text: string): string =>
  Either.match(parseKnowledgeGraph(text), { onLeft: (e) => e.message, onRight: () => "no error" })

describe("parseKnowledgeGraph", () => {
  it("accepts the shipped example", () => {
    expect([...example.services.keys()]).toContain("payment-api")
    const checkout = example.services.get("checkout")
    expect(checkout).toMatchObject({ namespace: "shop", kind: "Deployment", team: "checkout" })
    expect(checkout?.dependsOn).toContainEqual({ service: "notifications", type: "queue", critical: false })
    expect(example.services.get("card-gateway")).toMatchObject({ kind: "External", namespace: undefined })
    expect(findCycles(example)).toEqual([])
  })

  it("applies defaults (kind Deployment, critical true) and accepts an empty file", () => {
    const g = Either.getOrThrow(
      parseKnowledgeGraph("services:\n  a:\n    depends_on: [{ service: b, type: http }]\n  b: {}\n")
    )
    expect(g.services.get("a")).toMatchObject({
      kind: "Deployment",
      dependsOn: [{ service: "b", type: "http", critical: true }]
    })
    expect(Either.getOrThrow(parseKnowledgeGraph("")).services.size).toBe(0)
    expect(Either.getOrThrow(parseKnowledgeGraph("services:\n")).services.size).toBe(0)
  })

  it("names line and field of a bad dependency type", () => {
    const text = [
      "services:", // 1
      "  checkout:", // 2
      "    namespace: shop", // 3
      "    depends_on:", // 4
      "      - service: cart", // 5
      "        type: http", // 6
      "      - service: cart2", // 7
      "        type: rest", // 8
      "  cart: {}", // 9
      "  cart2: {}" // 10
    ].join("\n")
    expect(errorOf(text)).toBe(
      'knowledge_graph.yaml:8: services.checkout.depends_on[1].type: expected one of http, grpc, database, cache, queue, dns, other, got "rest"'
    )
  })

  it("names unknown dependency targets with their line", () => {
    const text =
      "services:\n  a:\n    depends_on:\n      - { service: b, type: http }\n      - { service: ghost, type: grpc }\n  b: {}\n"
    expect(errorOf(text)).toBe(
      'knowledge_graph.yaml:5: services.a.depends_on[1].service: unknown service "ghost" (not defined under services:)'
    )
  })

  it("reports every problem: bad kind, bad URL, unknown field, missing type, wrong type", () => {
    const text = [
      "services:", // 1
      "  a:", // 2
      "    kind: Pod", // 3
      "    runbook: not-a-url", // 4
      "    owner: me", // 5
      "    depends_on:", // 6
      "      - service: b", // 7
      "  b:", // 8
      "    team: 42" // 9
    ].join("\n")
    const lines = errorOf(text).split("\n")
    expect(lines).toContain(
      'knowledge_graph.yaml:3: services.a.kind: expected one of Deployment, StatefulSet, DaemonSet, Job, CronJob, External, got "Pod"'
    )
    expect(lines).toContain('knowledge_graph.yaml:4: services.a.runbook: expected an http(s) URL, got "not-a-url"')
    expect(
      lines.find((l) => l.startsWith("knowledge_graph.yaml:5: services.a.owner: is not a known field"))
    ).toBeDefined()
    expect(lines).toContain("knowledge_graph.yaml:7: services.a.depends_on[0].type: is required")
    expect(lines).toContain("knowledge_graph.yaml:9: services.b.team: expected a team name, got 42")
  })

  it("reports YAML syntax errors with a line, bad names and duplicates", () => {
    expect(errorOf("services:\n  a: {\n  b: 1\n")).toMatch(/^knowledge_graph\.yaml:\d+: invalid YAML: /)
    expect(errorOf("services:\n  a: {}\n  a: {}\n")).toMatch(/^knowledge_graph\.yaml:3: invalid YAML: .*unique/i)
    expect(errorOf("services:\n  Bad_Name: {}\n")).toBe(
      "knowledge_graph.yaml:2: services.Bad_Name: a service name must be lower-case letters, digits, - and ."
    )
    expect(errorOf("- a\n- b\n")).toBe("knowledge_graph.yaml:1: expected a map with `services:`")
    expect(
      errorOf(
        "services:\n  a:\n    depends_on:\n      - { service: b, type: http }\n      - { service: b, type: grpc }\n  b: {}\n"
      )
    ).toBe('knowledge_graph.yaml:5: services.a.depends_on[1].service: "b" is listed twice')
  })

  it("allows cycles and reports them", () => {
    const g = Either.getOrThrow(
      parseKnowledgeGraph(
        "services:\n  b:\n    depends_on: [{ service: c, type: http }]\n  c:\n    depends_on: [{ service: a, type: http }]\n  a:\n    depends_on: [{ service: b, type: http }]\n  d:\n    depends_on: [{ service: d, type: other }]\n"
      )
    )
    expect(findCycles(g)).toEqual([["a", "b", "c"], ["d"]])
    const n = Option.getOrThrow(neighbourhoodOf(g, "a"))
    expect(n.dependencies.map((r) => r.path)).toEqual([
      ["a", "b"],
      ["a", "b", "c"]
    ])
    expect(n.dependents.map((r) => r.path)).toEqual([
      ["c", "a"],
      ["b", "c", "a"]
    ])
  })
})

describe("neighbourhood", () => {
  it("lists dependencies up to depth 2 with paths, and dependents", () => {
    const n = Option.getOrThrow(neighbourhoodOf(example, "checkout"))
    expect(n.team).toBe("checkout")
    expect(n.runbook).toBe("https://runbooks.example.com/shop/checkout")
    expect(n.dependencies.map((r) => [r.path.join(">"), r.depth, r.critical])).toEqual([
      ["checkout>cart", 1, true],
      ["checkout>payment-api", 1, true],
      ["checkout>notifications", 1, false],
      ["checkout>cart>redis", 2, true],
      ["checkout>payment-api>ledger-api", 2, true],
      ["checkout>payment-api>card-gateway", 2, true],
      ["checkout>notifications>kafka", 2, false]
    ])
    expect(n.dependents.map((r) => r.path.join(">"))).toEqual(["frontend>checkout"])
  })

  it("finds who breaks when a shared dependency breaks", () => {
    const n = Option.getOrThrow(neighbourhoodOf(example, "postgres", "shop"))
    expect(n.dependencies).toEqual([])
    expect(n.dependents.map((r) => r.path.join(">"))).toEqual([
      "catalog>postgres",
      "ledger-api>postgres",
      "frontend>catalog>postgres",
      "payment-api>ledger-api>postgres",
      "ledger-reconcile>ledger-api>postgres"
    ])
    const text = describeNeighbourhood(n)
    expect(text).toContain("Service postgres (StatefulSet, ns shop, team platform)")
    expect(text).toContain("Depends on: nothing known")
    expect(text).toContain(
      "  - payment-api -> ledger-api -> postgres [http, critical; Deployment, ns payments; team payments]"
    )
  })

  it("resolves pod names and respects the namespace", () => {
    expect(Option.map(neighbourhoodOf(example, "payment-api-7d9f8b6c5d-x2k4p"), (n) => n.service.name)).toEqual(
      Option.some("payment-api")
    )
    expect(Option.map(neighbourhoodOf(example, "postgres-0"), (n) => n.service.name)).toEqual(Option.some("postgres"))
    expect(Option.isNone(neighbourhoodOf(example, "payment-api", "shop"))).toBe(true)
    expect(Option.isSome(neighbourhoodOf(example, "payment-api", "payments"))).toBe(true)
    expect(Option.isNone(neighbourhoodOf(example, "unknown-service"))).toBe(true)
  })

  it("renders a compact prompt text", () => {
    const text = describeNeighbourhood(Option.getOrThrow(neighbourhoodOf(example, "payment-api")))
    expect(text.split("\n")).toEqual([
      "Service payment-api (Deployment, ns payments, team payments) runbook: https://runbooks.example.com/payments/payment-api",
      "  Authorises and captures card payments; records every movement in the ledger.",
      "Depends on:",
      "  - payment-api -> ledger-api [http, critical; Deployment, ns payments; team payments]",
      "  - payment-api -> card-gateway [http, critical; External; team payments]",
      "  - payment-api -> ledger-api -> postgres [database, critical; StatefulSet, ns shop; team platform]",
      "Depended on by (affected if payment-api fails):",
      "  - checkout -> payment-api [grpc, critical; Deployment, ns shop; team checkout]",
      "  - frontend -> checkout -> payment-api [http, critical; Deployment, ns shop; team web]"
    ])
  })
})

describe("findInText", () => {
  it("finds services in order of mention, longest names first, including pod names", () => {
    const found = findInText(
      example,
      "Checkout is returning 502s; pod payment-api-7d9f8b6c5d-x2k4p in payments restarts, redis looks fine."
    )
    expect(found.map((s) => s.name)).toEqual(["checkout", "payment-api", "redis"])
  })

  it("does not match inside other words", () => {
    expect(findInText(example, "the shopping-cartography team and mycart are fine").map((s) => s.name)).toEqual([])
    expect(
      findInText(graphFromServices([{ name: "api" }, { name: "payment-api" }]), "payment-api down").map((s) => s.name)
    ).toEqual(["payment-api"])
  })
})

describe("KnowledgeGraph layers", () => {
  it.effect("layerTest serves a given graph", () =>
    Effect.gen(function* () {
      const kg = yield* KnowledgeGraph
      expect((yield* kg.all).map((s) => s.name)).toEqual(["a", "b"])
      expect(Option.map(yield* kg.neighbourhood("a"), (n) => n.dependencies.length)).toEqual(Option.some(1))
      expect((yield* kg.find("b is down")).map((s) => s.name)).toEqual(["b"])
    }).pipe(
      Effect.provide(
        layerTest(
          graphFromServices([
            {
              name: "a",
              dependsOn: [
                { service: "b", type: "http", critical: true },
                { service: "x", type: "http", critical: true }
              ]
            },
            { name: "b" }
          ])
        )
      )
    )
  )

  it.effect("the live layer reads KNOWLEDGE_GRAPH_PATH and fails on a bad file", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "kg-"))
      const bad = join(dir, "bad.yaml")
      writeFileSync(bad, "services:\n  a:\n    kind: Pod\n")
      const withPath = (path: string) =>
        Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["KNOWLEDGE_GRAPH_PATH", path]])))

      const ok = yield* Effect.provide(KnowledgeGraph, layer.pipe(Layer.provide(withPath(exampleFile))))
      expect((yield* ok.all).length).toBe(example.services.size)

      const exit = yield* Effect.exit(Effect.provide(KnowledgeGraph, layer.pipe(Layer.provide(withPath(bad)))))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toContain(`${bad}:3: services.a.kind: expected one of`)

      const missing = yield* Effect.either(loadKnowledgeGraph(join(dir, "missing.yaml")))
      expect(Either.isLeft(missing) && missing.left.message).toContain("file not found")
    })
  )
})

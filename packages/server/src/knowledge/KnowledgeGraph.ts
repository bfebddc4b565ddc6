/**
 * The service knowledge graph: which services exist, who owns them, where their runbook is, and what they depend
 * on. Read from `knowledge_graph.yaml` (path from `KNOWLEDGE_GRAPH_PATH`, default `./knowledge_graph.yaml`; a missing
 * default file is an empty graph) and validated at start-up: a bad file stops the server with `file:line: field:
 * problem`. The agent uses it to know what else to look at (dependencies) and who is affected (dependents).
 * See docs/knowledge-graph.md.
 */
import { existsSync, readFileSync } from "node:fs"
import { Config, Context, Data, Effect, Either, Layer, Option, Schema } from "effect"
import { formatIssue, issuesFromParseError, parseYamlSource, type SourceIssue } from "./yamlSource.js"

/** The default location of the graph file (relative to the working directory). */
export const DEFAULT_KNOWLEDGE_GRAPH_PATH = "./knowledge_graph.yaml"

/** How a service talks to a dependency. */
export const DependencyType = Schema.Literal("http", "grpc", "database", "cache", "queue", "dns", "other")
/** @see DependencyType */
export type DependencyType = typeof DependencyType.Type

/** The Kubernetes workload kind of a service (`External` for things outside the cluster). */
export const ServiceKind = Schema.Literal("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "External")
/** @see ServiceKind */
export type ServiceKind = typeof ServiceKind.Type

/** One edge: this service needs `service`. */
export interface Dependency {
  readonly service: string
  readonly type: DependencyType
  /** Whether the service is broken (not just degraded) without it. */
  readonly critical: boolean
}

/** One service of the graph. */
export interface ServiceInfo {
  readonly name: string
  readonly namespace: string | undefined
  readonly kind: ServiceKind
  readonly team: string | undefined
  readonly runbook: string | undefined
  readonly description: string | undefined
  readonly dependsOn: ReadonlyArray<Dependency>
}

/** A validated graph. */
export interface KnowledgeGraphData {
  /** Services by name, in file order. */
  readonly services: ReadonlyMap<string, ServiceInfo>
}

/** A service reached from the focus service, with the path that leads to it. */
export interface RelatedService {
  readonly service: ServiceInfo
  /** 1 = direct, 2 = through one other service. */
  readonly depth: number
  /** Names from the focus service to this one, both included (dependents: from this one to the focus). */
  readonly path: ReadonlyArray<string>
  /** Type of the edge that reaches this service. */
  readonly type: DependencyType
  /** Whether every edge along the path is critical. */
  readonly critical: boolean
}

/** A service and what surrounds it. */
export interface Neighbourhood {
  readonly service: ServiceInfo
  /** What it needs, transitively up to depth 2. */
  readonly dependencies: ReadonlyArray<RelatedService>
  /** Who needs it (who breaks if it breaks), transitively up to depth 2. */
  readonly dependents: ReadonlyArray<RelatedService>
  readonly team: string | undefined
  readonly runbook: string | undefined
}

/** A graph file that cannot be used; `message` has one `file:line: field: problem` line per problem. */
export class KnowledgeGraphError extends Data.TaggedError("KnowledgeGraphError")<{ readonly message: string }> {}

// ---------------------------------------------------------------------------------------------------------------
// File schema
// ---------------------------------------------------------------------------------------------------------------

const actual = (issue: { readonly actual: unknown }): string => JSON.stringify(issue.actual) ?? String(issue.actual)
const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })
const text = (what: string) =>
  Schema.String.annotations({ message: (issue) => `expected ${what}, got ${actual(issue)}` })

// eslint-disable-next-line security/detect-unsafe-regex -- linear: one optional group, no nested quantifiers
const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

const DependencyEntry = Schema.Struct({
  service: text("a service name"),
  type: DependencyType.annotations({
    message: (issue) => ({
      message: `expected one of ${DependencyType.literals.join(", ")}, got ${actual(issue)}`,
      override: true
    })
  }),
  critical: opt(Schema.Boolean.annotations({ message: (issue) => `expected true or false, got ${actual(issue)}` }))
})

const ServiceEntry = Schema.Struct({
  namespace: opt(text("a namespace")),
  kind: opt(
    ServiceKind.annotations({
      message: (issue) => ({
        message: `expected one of ${ServiceKind.literals.join(", ")}, got ${actual(issue)}`,
        override: true
      })
    })
  ),
  team: opt(text("a team name")),
  runbook: opt(
    Schema.String.pipe(
      Schema.filter((u) => /^https?:\/\/\S+$/.test(u), {
        message: (issue) => `expected an http(s) URL, got ${actual(issue)}`
      })
    )
  ),
  description: opt(text("a description")),
  depends_on: opt(
    Schema.Array(DependencyEntry).annotations({
      message: () => "expected a list of { service, type, critical }"
    })
  )
})

const GraphFile = Schema.Struct({
  services: opt(
    Schema.Record({ key: Schema.String, value: ServiceEntry }).annotations({
      message: () => "expected a map of service name to service"
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------------

/** Parses and validates the text of a `knowledge_graph.yaml`. */
export const parseKnowledgeGraph = (
  textContent: string,
  file = "knowledge_graph.yaml"
): Either.Either<KnowledgeGraphData, KnowledgeGraphError> => {
  const parsed = parseYamlSource(file, textContent)
  if (Either.isLeft(parsed)) return Either.left(new KnowledgeGraphError({ message: parsed.left }))
  const source = parsed.right
  const fail = (issues: ReadonlyArray<SourceIssue>) =>
    Either.left(new KnowledgeGraphError({ message: issues.map((i) => formatIssue(source, i)).join("\n") }))
  const raw = source.value ?? {}
  if (typeof raw !== "object" || Array.isArray(raw))
    return fail([{ path: [], message: "expected a map with `services:`" }])
  const decoded = Schema.decodeUnknownEither(GraphFile, { errors: "all", onExcessProperty: "error" })(dropNullKeys(raw))
  if (Either.isLeft(decoded)) return fail(issuesFromParseError(decoded.left))

  const entries = Object.entries(decoded.right.services ?? {})
  const issues: Array<SourceIssue> = []
  const services = new Map<string, ServiceInfo>()
  for (const [name, entry] of entries) {
    if (!NAME_RE.test(name)) {
      issues.push({ path: ["services", name], message: "a service name must be lower-case letters, digits, - and ." })
    }
    services.set(name, {
      name,
      namespace: entry.namespace,
      kind: entry.kind ?? "Deployment",
      team: entry.team,
      runbook: entry.runbook,
      description: entry.description,
      dependsOn: (entry.depends_on ?? []).map((d) => ({
        service: d.service,
        type: d.type,
        critical: d.critical ?? true
      }))
    })
  }
  for (const [name, entry] of entries) {
    const seen = new Set<string>()
    ;(entry.depends_on ?? []).forEach((dep, i) => {
      const at = ["services", name, "depends_on", i, "service"]
      if (!services.has(dep.service)) {
        issues.push({ path: at, message: `unknown service "${dep.service}" (not defined under services:)` })
      } else if (seen.has(dep.service)) issues.push({ path: at, message: `"${dep.service}" is listed twice` })
      seen.add(dep.service)
    })
  }
  if (issues.length > 0) return fail(issues)
  return Either.right({ services })
}

/** `services:` with nothing under it is written `null` by YAML: treat it as absent. */
const dropNullKeys = (raw: object): object =>
  Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null && v !== undefined))

/** Builds a graph from services (tests, tools); dependencies on unknown services are dropped. */
export const graphFromServices = (
  services: ReadonlyArray<Partial<ServiceInfo> & { readonly name: string }>
): KnowledgeGraphData => {
  const names = new Set(services.map((s) => s.name))
  return {
    services: new Map(
      services.map((s) => [
        s.name,
        {
          name: s.name,
          namespace: s.namespace,
          kind: s.kind ?? "Deployment",
          team: s.team,
          runbook: s.runbook,
          description: s.description,
          dependsOn: (s.dependsOn ?? []).filter((d) => names.has(d.service))
        }
      ])
    )
  }
}

/** The empty graph. */
export const emptyGraph: KnowledgeGraphData = { services: new Map() }

/** Every dependency cycle (each once, starting at its alphabetically smallest service); cycles are allowed. */
export const findCycles = (graph: KnowledgeGraphData): ReadonlyArray<ReadonlyArray<string>> => {
  const cycles = new Map<string, ReadonlyArray<string>>()
  const visit = (start: string, current: string, path: ReadonlyArray<string>): void => {
    for (const dep of graph.services.get(current)?.dependsOn ?? []) {
      if (dep.service === start) {
        const min = path.reduce((a, b) => (b < a ? b : a))
        const i = path.indexOf(min)
        const rotated = [...path.slice(i), ...path.slice(0, i)]
        cycles.set(rotated.join(" -> "), rotated)
      } else if (!path.includes(dep.service) && dep.service > start) {
        visit(start, dep.service, [...path, dep.service])
      }
    }
  }
  for (const name of [...graph.services.keys()].sort()) visit(name, name, [name])
  return [...cycles.values()]
}

// ---------------------------------------------------------------------------------------------------------------
// Queries (pure)
// ---------------------------------------------------------------------------------------------------------------

const walk = (
  graph: KnowledgeGraphData,
  from: string,
  next: (name: string) => ReadonlyArray<{ readonly name: string; readonly dep: Dependency }>,
  maxDepth: number
): ReadonlyArray<RelatedService> => {
  const out: Array<RelatedService> = []
  const seen = new Set<string>([from])
  let frontier: ReadonlyArray<{
    readonly name: string
    readonly path: ReadonlyArray<string>
    readonly critical: boolean
  }> = [{ name: from, path: [from], critical: true }]
  for (let depth = 1; depth <= maxDepth; depth++) {
    const nextFrontier: Array<{ name: string; path: ReadonlyArray<string>; critical: boolean }> = []
    for (const node of frontier) {
      for (const { name, dep } of next(node.name)) {
        if (seen.has(name)) continue
        const service = graph.services.get(name)
        if (service === undefined) continue
        seen.add(name)
        const path = [...node.path, name]
        const critical = node.critical && dep.critical
        out.push({ service, depth, path, type: dep.type, critical })
        nextFrontier.push({ name, path, critical })
      }
    }
    frontier = nextFrontier
  }
  return out
}

/** Strips a pod-name suffix: `checkout-7d9f8b6c5d-x2k4p` → `checkout`, `postgres-0` → `postgres`. */
const workloadNameCandidates = (name: string): ReadonlyArray<string> => {
  const out = [name]
  const rs = /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(name)
  if (rs?.[1] !== undefined) out.push(rs[1])
  const suffix = /^(.+)-(?:\d+|[a-z0-9]{5})$/.exec(name)
  if (suffix?.[1] !== undefined) out.push(suffix[1])
  return out
}

/** Finds a service by name (or a pod name of it), optionally in a namespace. */
export const lookupService = (
  graph: KnowledgeGraphData,
  name: string,
  namespace?: string
): Option.Option<ServiceInfo> => {
  for (const candidate of workloadNameCandidates(name.trim().toLowerCase())) {
    const service = graph.services.get(candidate)
    if (
      service !== undefined &&
      (namespace === undefined || service.namespace === undefined || service.namespace === namespace)
    ) {
      return Option.some(service)
    }
  }
  return Option.none()
}

/** The neighbourhood of a service (dependencies and dependents up to depth 2), if the service is known. */
export const neighbourhoodOf = (
  graph: KnowledgeGraphData,
  name: string,
  namespace?: string
): Option.Option<Neighbourhood> =>
  Option.map(lookupService(graph, name, namespace), (service) => {
    const dependents = new Map<string, Array<{ name: string; dep: Dependency }>>()
    for (const s of graph.services.values()) {
      for (const dep of s.dependsOn) {
        const list = dependents.get(dep.service) ?? []
        list.push({ name: s.name, dep })
        dependents.set(dep.service, list)
      }
    }
    return {
      service,
      dependencies: walk(
        graph,
        service.name,
        (n) => (graph.services.get(n)?.dependsOn ?? []).map((dep) => ({ name: dep.service, dep })),
        2
      ),
      dependents: walk(graph, service.name, (n) => dependents.get(n) ?? [], 2).map((r) => ({
        ...r,
        path: [...r.path].reverse()
      })),
      team: service.team,
      runbook: service.runbook
    }
  })

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Services mentioned in free text (whole names, also as the prefix of a pod name), in order of first mention. */
export const findInText = (graph: KnowledgeGraphData, freeText: string): ReadonlyArray<ServiceInfo> => {
  let haystack = freeText.toLowerCase()
  const hits: Array<{ readonly at: number; readonly service: ServiceInfo }> = []
  // Longest names first, masking what they matched, so `payment-api` is not also reported as `payment`.
  const byLength = [...graph.services.values()].sort((a, b) => b.name.length - a.name.length)
  for (const service of byLength) {
    // eslint-disable-next-line security/detect-non-literal-regexp -- escaped service name
    const re = new RegExp(`(?<![a-z0-9_.-])${escapeRe(service.name)}(?![a-z0-9_])`, "g")
    let first: number | undefined
    haystack = haystack.replace(re, (match, offset: number) => {
      first ??= offset
      return " ".repeat(match.length)
    })
    if (first !== undefined) hits.push({ at: first, service })
  }
  return hits.sort((a, b) => a.at - b.at).map((h) => h.service)
}

/** Renders a neighbourhood compactly for an LLM prompt. */
export const describeNeighbourhood = (n: Neighbourhood): string => {
  const s = n.service
  const where = (x: ServiceInfo): string =>
    [x.kind, x.namespace !== undefined ? `ns ${x.namespace}` : undefined].filter((p) => p !== undefined).join(", ")
  const lines: Array<string> = []
  lines.push(
    `Service ${s.name} (${where(s)}${n.team !== undefined ? `, team ${n.team}` : ""})` +
      (n.runbook !== undefined ? ` runbook: ${n.runbook}` : "")
  )
  if (s.description !== undefined) lines.push(`  ${s.description.trim().replace(/\s+/g, " ")}`)
  const related = (r: RelatedService): string =>
    `  - ${r.path.join(" -> ")} [${r.type}, ${r.critical ? "critical" : "non-critical"}; ${where(r.service)}` +
    `${r.service.team !== undefined ? `; team ${r.service.team}` : ""}]`
  lines.push(n.dependencies.length === 0 ? "Depends on: nothing known" : "Depends on:")
  for (const r of n.dependencies) lines.push(related(r))
  lines.push(
    n.dependents.length === 0 ? `Depended on by: nothing known` : `Depended on by (affected if ${s.name} fails):`
  )
  for (const r of n.dependents) lines.push(related(r))
  return lines.join("\n")
}

// ---------------------------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------------------------

/** The knowledge graph service. */
export interface KnowledgeGraphShape {
  /** A service's neighbourhood by name (or one of its pod names), optionally in a namespace. */
  readonly neighbourhood: (name: string, namespace?: string) => Effect.Effect<Option.Option<Neighbourhood>>
  /** Services mentioned in free text (e.g. an incident description). */
  readonly find: (text: string) => Effect.Effect<ReadonlyArray<ServiceInfo>>
  /** Every service, in file order. */
  readonly all: Effect.Effect<ReadonlyArray<ServiceInfo>>
}

/** The knowledge graph service tag. */
export class KnowledgeGraph extends Context.Tag("sre/KnowledgeGraph")<KnowledgeGraph, KnowledgeGraphShape>() {}

/** The service over a graph. */
export const makeKnowledgeGraph = (graph: KnowledgeGraphData): KnowledgeGraphShape => ({
  neighbourhood: (name, namespace) => Effect.sync(() => neighbourhoodOf(graph, name, namespace)),
  find: (freeText) => Effect.sync(() => findInText(graph, freeText)),
  all: Effect.sync(() => [...graph.services.values()])
})

/**
 * Reads a graph file. `path` undefined means the default path, where a missing file is an empty graph; an explicit
 * path that does not exist is an error.
 */
export const loadKnowledgeGraph = (path: string | undefined): Effect.Effect<KnowledgeGraphData, KnowledgeGraphError> =>
  Effect.gen(function* () {
    const file = path ?? DEFAULT_KNOWLEDGE_GRAPH_PATH
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- operator-chosen configuration path
    if (!existsSync(file)) {
      if (path === undefined) {
        yield* Effect.logInfo(`knowledge graph: no ${file}; the graph is empty`)
        return emptyGraph
      }
      return yield* new KnowledgeGraphError({ message: `${file}: file not found (KNOWLEDGE_GRAPH_PATH)` })
    }
    const content = yield* Effect.try({
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- operator-chosen configuration path
      try: () => readFileSync(file, "utf8"),
      catch: (e) =>
        new KnowledgeGraphError({ message: `${file}: cannot read: ${e instanceof Error ? e.message : String(e)}` })
    })
    const graph = yield* parseKnowledgeGraph(content, file)
    const cycles = findCycles(graph)
    yield* Effect.logInfo(`knowledge graph: ${graph.services.size} service(s) from ${file}`)
    if (cycles.length > 0) {
      yield* Effect.logInfo(
        `knowledge graph: dependency cycles (allowed): ${cycles.map((c) => [...c, c[0]].join(" -> ")).join("; ")}`
      )
    }
    return graph
  })

/** `KNOWLEDGE_GRAPH_PATH` (unset: the default path, where a missing file is an empty graph). */
export const knowledgeGraphPath: Config.Config<Option.Option<string>> = Config.option(
  Config.string("KNOWLEDGE_GRAPH_PATH")
)

/** The live layer: loads the graph at start; a bad file fails the layer with a `KnowledgeGraphError`. */
export const layer: Layer.Layer<KnowledgeGraph, KnowledgeGraphError> = Layer.effect(
  KnowledgeGraph,
  Effect.gen(function* () {
    const path = yield* Effect.orElseSucceed(knowledgeGraphPath, () => Option.none<string>())
    const graph = yield* loadKnowledgeGraph(Option.getOrUndefined(path))
    return makeKnowledgeGraph(graph)
  })
)

/** A layer over a given graph (tests). */
export const layerTest = (graph: KnowledgeGraphData): Layer.Layer<KnowledgeGraph> =>
  Layer.succeed(KnowledgeGraph, makeKnowledgeGraph(graph))

/** Alias of {@link layer}, named like the other layers of the server (`layerHealthChecks`, ...). */
export const layerKnowledgeGraph = layer

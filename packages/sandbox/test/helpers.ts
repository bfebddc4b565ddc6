/**
 * Shared test helpers: paths, scenario files, a scoped sandbox for a whole suite, in-process requests.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { execFileSync } from "node:child_process"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Either, Exit, Scope } from "effect"
import { handle, type RequestContext } from "../src/api.js"
import { buildCluster, type Cluster } from "../src/cluster.js"
import type { ApiResult } from "../src/http.js"
import { startSandbox, type SandboxHandle, type SandboxOptions } from "../src/index.js"
import { parseScenario } from "../src/scenario.js"

/** The repository root (/work/main). */
export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url))
/** The shared scenarios. */
export const SHARED_SCENARIOS = path.resolve(REPO_ROOT, "../shared/scenarios")
/** This package's own scenarios. */
export const OWN_SCENARIOS = fileURLToPath(new URL("../scenarios", import.meta.url))

/** Every scenario file (shared ones first). */
export const scenarioFiles = (): ReadonlyArray<string> =>
  [SHARED_SCENARIOS, OWN_SCENARIOS].flatMap((dir) =>
    existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith(".json"))
          .sort()
          .map((f) => path.join(dir, f))
      : []
  )

/** A shared scenario file by name. */
export const shared = (name: string): string => path.join(SHARED_SCENARIOS, name)

/** The raw JSON of a scenario file (tests only: to compare with what is served). */
export const rawScenario = (file: string): Record<string, unknown> => {
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"))
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? { ...parsed } : {}
}

/** Builds the cluster of a scenario file (fails the test on a bad file). */
export const clusterOf = (file: string, now = Date.now()): Cluster => {
  const parsed = parseScenario(file, readFileSync(file, "utf8"))
  if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
  return buildCluster(parsed.right, now)
}

/** Calls the pure API handler. */
export const call = (
  cluster: Cluster,
  target: string,
  init: { method?: string; headers?: Record<string, string>; body?: Uint8Array; now?: number } = {}
): ApiResult => {
  const url = new URL(target, "http://sandbox.local")
  const ctx: RequestContext = { now: init.now ?? cluster.startedAt, serverAddress: "127.0.0.1:1", maxWatchMs: 1000 }
  return handle(
    cluster,
    {
      method: init.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: init.headers ?? {},
      body: init.body ?? new Uint8Array()
    },
    ctx
  )
}

/** Calls the pure handler and parses a JSON body (status included). */
export const callJson = (
  cluster: Cluster,
  target: string,
  init: Parameters<typeof call>[2] = {}
): { status: number; body: Record<string, unknown>; text: string } => {
  const result = call(cluster, target, init)
  if (result._tag !== "Response") throw new Error(`expected a response for ${target}, got a watch`)
  const parsed: unknown = result.headers["content-type"]?.includes("json") ? JSON.parse(result.body) : {}
  return {
    status: result.status,
    body: typeof parsed === "object" && parsed !== null ? { ...parsed } : {},
    text: result.body
  }
}

/** A running sandbox for a suite: call `start` in beforeAll and `stop` in afterAll. */
export const suiteSandbox = (
  options: SandboxOptions
): { start: () => Promise<SandboxHandle>; stop: () => Promise<void> } => {
  const scope = Effect.runSync(Scope.make())
  return {
    start: () => Effect.runPromise(Scope.extend(startSandbox(options), scope)),
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** The kubectl binary to use: <repo>/.tmp/bin/kubectl, else one on PATH, else undefined. */
export const findKubectl = (): string | undefined => {
  const local = path.join(REPO_ROOT, ".tmp/bin/kubectl")
  if (existsSync(local)) return local
  try {
    const found = execFileSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" }).trim()
    return found === "" ? undefined : found
  } catch {
    return undefined
  }
}

/** kubernetes-mcp-server from node_modules. */
export const MCP_SERVER_BIN = path.join(REPO_ROOT, "node_modules/.bin/kubernetes-mcp-server")

/** Narrows unknown to a record (tests). */
export const asRecord = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? { ...v } : {}

/** Narrows unknown to an array of records (tests). */
export const asRecords = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.map(asRecord) : [])

const encodeVarint = (n: number): Array<number> => {
  const out: Array<number> = []
  let v = n
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return out
}
const field = (n: number, payload: Uint8Array | string): Uint8Array => {
  const bytes = typeof payload === "string" ? Buffer.from(payload) : payload
  return Uint8Array.from([...encodeVarint(n * 8 + 2), ...encodeVarint(bytes.length), ...bytes])
}
const concat = (...parts: Array<Uint8Array>): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]))

/** A SelfSubjectAccessReview encoded as client-go does: `k8s\0` + runtime.Unknown{typeMeta, raw}. */
export const ssarProtobuf = (verb: string, resource: string): Uint8Array => {
  const attrs = concat(field(2, verb), field(5, resource))
  const raw = concat(field(1, new Uint8Array()), field(2, field(1, attrs)))
  const typeMeta = concat(field(1, "authorization.k8s.io/v1"), field(2, "SelfSubjectAccessReview"))
  return concat(Uint8Array.from([0x6b, 0x38, 0x73, 0x00]), field(1, typeMeta), field(2, raw))
}

/**
 * @sre/sandbox — a simulated, read-only Kubernetes API serving one incident scenario, good enough for
 * kubernetes-mcp-server and kubectl.
 *
 * ```ts
 * const handle = yield* startSandbox({ scenarioPath })   // inside a Scope; closed with it
 * // handle.kubeconfigPath → kubernetes-mcp-server --read-only --kubeconfig <path>
 * ```
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { buildCluster } from "./cluster.js"
import { KubeconfigError, writeKubeconfig } from "./kubeconfig.js"
import { loadScenario, ScenarioError } from "./scenario.js"
import { serveCluster, ServerError } from "./server.js"

export { buildCluster, type Cluster } from "./cluster.js"
export { handle, type RequestContext } from "./api.js"
export { kubeconfigText, KubeconfigError, writeKubeconfig } from "./kubeconfig.js"
export { decodeScenario, loadScenario, parseScenario, ScenarioError, type Scenario } from "./scenario.js"
export { serveCluster, ServerError, type ServeOptions } from "./server.js"

/** Options of `startSandbox`. */
export interface SandboxOptions {
  /** The scenario file to serve. */
  readonly scenarioPath: string
  /** Port to listen on; default 0 (a random free port). */
  readonly port?: number
  /** Host to bind; default 127.0.0.1. */
  readonly host?: string
  /** Where to write the kubeconfig; default a temp file removed when the scope closes. */
  readonly kubeconfigPath?: string
  /** Longest a watch stays open (ms); default 30 s. */
  readonly maxWatchMs?: number
}

/** A running sandbox. */
export interface SandboxHandle {
  /** The API server URL, e.g. http://127.0.0.1:40123. */
  readonly url: string
  readonly port: number
  /** A kubeconfig (context `sandbox`, default namespace = the scenario's) pointing at `url`. */
  readonly kubeconfigPath: string
  /** What callers may know about the scenario; the description is not served by the API. */
  readonly scenario: {
    readonly id: string
    readonly namespace: string
    readonly incidentDescription: string
  }
}

/** Why a sandbox could not start. */
export type SandboxError = ScenarioError | ServerError | KubeconfigError

/**
 * Loads the scenario, serves it on loopback and writes a kubeconfig. The server (and the temp kubeconfig) live
 * until the surrounding scope closes.
 */
export const startSandbox = (options: SandboxOptions): Effect.Effect<SandboxHandle, SandboxError, Scope.Scope> =>
  Effect.gen(function* () {
    const scenario = yield* loadScenario(options.scenarioPath)
    const cluster = buildCluster(scenario, Date.now())
    const server = yield* serveCluster(cluster, {
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.maxWatchMs === undefined ? {} : { maxWatchMs: options.maxWatchMs })
    })
    const kubeconfigPath = yield* writeKubeconfig(server.url, scenario.namespace, options.kubeconfigPath)
    return {
      url: server.url,
      port: server.port,
      kubeconfigPath,
      scenario: { id: scenario.id, namespace: scenario.namespace, incidentDescription: scenario.incidentDescription }
    }
  }).pipe(Effect.withSpan("Sandbox.start", { attributes: { scenarioPath: options.scenarioPath } }))

/** The running sandbox as a service (see `Sandbox.layer`). */
export class Sandbox extends Context.Tag("@sre/sandbox/Sandbox")<Sandbox, SandboxHandle>() {
  /** A layer that starts a sandbox for its lifetime. */
  static readonly layer = (options: SandboxOptions): Layer.Layer<Sandbox, SandboxError> =>
    Layer.scoped(Sandbox, startSandbox(options))
}

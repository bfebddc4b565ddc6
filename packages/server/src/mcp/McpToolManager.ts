/**
 * `McpToolManager`: connects to the MCP servers of `mcp_config.yaml` with `@langchain/mcp-adapters` (one
 * `MultiServerMCPClient` per server, so one failing server cannot take the others down), discovers their tools, keeps
 * only those the safety policy allows (see `policy.ts`), and calls them with a timeout, retries for transport
 * errors, and an output budget.
 *
 * A server that cannot be reached at start-up, or whose connection dies later, is marked `failed` and reconnected in
 * the background (exponential, jittered back-off capped at 60 s, forever) by a fiber owned by the layer's scope; its
 * tools come back without a restart. Status is registered with `HealthChecks` so `/health` lists every server.
 */
import { Readable } from "node:stream"
import { MultiServerMCPClient } from "@langchain/mcp-adapters"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js"
import { DependencyHealth } from "@sre/schema"
import {
  Cause,
  Context,
  Data,
  Deferred,
  Duration,
  Effect,
  Exit,
  Layer,
  Option,
  Ref,
  Runtime,
  Schedule,
  Schema,
  type Scope
} from "effect"
import { HealthChecks } from "../health/HealthChecks.js"
import { recordToolCall } from "../observability/metrics.js"
import { redactKnown, registerSecret } from "../observability/redact.js"
import {
  describeServer,
  loadMcpConfigFromEnv,
  type McpConfig,
  type McpConfigError,
  type McpServerConfig
} from "./McpConfig.js"
import { callWithDeadline, retryAfterFailure } from "../llm/deadline.js"
import { decideTool, type ToolHints } from "./policy.js"

/** A tool the agent may call. */
export interface McpTool {
  /** The configured server name (key under `servers:`). */
  readonly server: string
  readonly name: string
  readonly description: string
  /** JSON schema of the arguments (as simplified by the adapter for LLM tool calling). */
  readonly inputSchema: unknown
  /** False only for a mutating tool that the operator `allow`ed explicitly. */
  readonly readOnly: boolean
}

/** The outcome of a tool call that reached the tool (including tool-reported errors). */
export interface ToolCallResult {
  /** The text output, cut to the output budget (with a visible note) when longer. */
  readonly text: string
  /** The tool reported an error (`isError`); the agent should read `text` and go on. */
  readonly isError: boolean
  readonly truncated: boolean
  readonly durationMs: number
}

/** Why a call failed without a tool result. */
export type McpToolErrorReason = "transport" | "timeout" | "not_connected" | "unknown_server" | "refused" | "protocol"

/** A tool call that did not produce a tool result: transport failure, timeout, unknown or refused tool. */
export class McpToolError extends Data.TaggedError("McpToolError")<{
  readonly server: string
  readonly tool: string
  readonly message: string
  /** Whether trying again later may succeed (transport, timeout, not connected). */
  readonly retryable: boolean
  readonly reason: McpToolErrorReason
}> {}

/** The MCP tool service. */
export interface McpToolManagerShape {
  /** Tools of connected servers that the safety policy allows. */
  readonly tools: Effect.Effect<ReadonlyArray<McpTool>>
  /** Calls a tool. A tool-reported error is a result with `isError: true`, not a failure. */
  readonly call: (
    server: string,
    tool: string,
    args: Record<string, unknown>,
    options?: CallOptions
  ) => Effect.Effect<ToolCallResult, McpToolError>
  /** One entry per configured server: `ok` (with tool count), `degraded` (connecting), `failed`, `disabled`. */
  readonly status: Effect.Effect<ReadonlyArray<DependencyHealth>>
}

/** Per-call options. */
export interface CallOptions {
  /** Characters kept of the output (default: the config's `tool_output_budget`); parsers need complete output. */
  readonly outputBudget?: number
}

/** The MCP tool service tag. */
export class McpToolManager extends Context.Tag("sre/McpToolManager")<McpToolManager, McpToolManagerShape>() {}

/** Tuning of the live manager (tests use short delays). */
export interface McpToolManagerOptions {
  /** First delay of the background reconnect back-off (default 1 s). */
  readonly reconnectInitialDelay?: Duration.DurationInput
  /** Cap of the reconnect back-off (default 60 s). */
  readonly reconnectMaxDelay?: Duration.DurationInput
  /** Retries of a call after a transport error (default 2). */
  readonly callRetries?: number
  /** First delay between call retries (default 200 ms, exponential, jittered). */
  readonly callRetryDelay?: Duration.DurationInput
  /** Bound on connecting + discovering one server (default 15 s). */
  readonly connectTimeout?: Duration.DurationInput
}

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------------------------

/** Cuts `text` to `budget` characters and appends a note saying how much was omitted. */
export const truncateOutput = (
  text: string,
  budget: number
): { readonly text: string; readonly truncated: boolean } => {
  if (text.length <= budget) return { text, truncated: false }
  const omitted = text.length - budget
  return {
    text: `${text.slice(0, budget)}\n[... output truncated: ${omitted} of ${text.length} characters omitted ...]`,
    truncated: true
  }
}

const ContentItem = Schema.Struct({
  type: Schema.String,
  text: Schema.optional(Schema.String),
  mimeType: Schema.optional(Schema.String),
  uri: Schema.optional(Schema.String),
  resource: Schema.optional(
    Schema.Struct({ uri: Schema.optional(Schema.String), text: Schema.optional(Schema.String) })
  )
})
const CallResult = Schema.Struct({
  content: Schema.optional(Schema.Array(ContentItem)),
  isError: Schema.optional(Schema.Boolean),
  structuredContent: Schema.optional(Schema.Unknown),
  toolResult: Schema.optional(Schema.Unknown)
})
const Hints = Schema.Struct({
  readOnlyHint: Schema.optional(Schema.Boolean),
  destructiveHint: Schema.optional(Schema.Boolean)
})

/** Renders an MCP `CallToolResult` as text (text blocks joined; other blocks named). */
export const callResultText = (raw: unknown): { readonly text: string; readonly isError: boolean } => {
  const decoded = Schema.decodeUnknownOption(CallResult)(raw)
  if (Option.isNone(decoded))
    return { text: "[the tool returned a result that is not an MCP CallToolResult]", isError: true }
  const result = decoded.value
  const parts = (result.content ?? []).map((c) => {
    if (c.type === "text") return c.text ?? ""
    if (c.type === "resource" && c.resource?.text !== undefined) return c.resource.text
    if (c.type === "resource_link" || c.type === "resource") return `[resource ${c.uri ?? c.resource?.uri ?? ""}]`
    return `[${c.type}${c.mimeType !== undefined ? ` ${c.mimeType}` : ""} content omitted]`
  })
  let text = parts.join("\n")
  if (text === "" && result.structuredContent !== undefined) text = JSON.stringify(result.structuredContent)
  if (text === "" && result.toolResult !== undefined) text = JSON.stringify(result.toolResult)
  return { text, isError: result.isError === true }
}

const errorText = (e: unknown): string => redactKnown(e instanceof Error ? e.message : String(e)).slice(0, 2000)

/** A transport error (connection closed, network, HTTP) vs a JSON-RPC error answered by the server. */
const isTransportError = (e: unknown): boolean =>
  !(e instanceof McpError) || e.code === ErrorCode.ConnectionClosed || e.code === ErrorCode.RequestTimeout

const durationText = (d: Duration.DurationInput): string => Duration.format(Duration.decode(d))

// ---------------------------------------------------------------------------------------------------------------
// Live implementation
// ---------------------------------------------------------------------------------------------------------------

interface Connection {
  readonly client: MultiServerMCPClient
  readonly sdk: Client
  readonly tools: ReadonlyArray<McpTool>
  /** Tool name → why it is not offered. */
  readonly refused: ReadonlyMap<string, string>
  /** Completed when the connection is found dead. */
  readonly lost: Deferred.Deferred<void>
}

type ServerState =
  | { readonly _tag: "Disabled" }
  | { readonly _tag: "Connecting" }
  | { readonly _tag: "Connected"; readonly conn: Connection }
  | { readonly _tag: "Failed"; readonly error: string; readonly attempts: number }

interface ServerEntry {
  readonly config: McpServerConfig
  readonly state: Ref.Ref<ServerState>
}

const SECRET_KEY = /token|secret|password|passwd|key|auth|credential|cookie/i

/** Registers header values and secret-looking env values so they are scrubbed from every log line. */
const registerSecrets = (server: McpServerConfig): void => {
  if (server.transport === "streamable_http") {
    for (const value of Object.values(server.headers)) {
      registerSecret(value)
      // `Bearer <token>`: register the token alone too
      const [, second] = value.trim().split(/\s+/)
      if (second !== undefined) registerSecret(second)
    }
  } else {
    for (const [key, value] of Object.entries(server.env)) if (SECRET_KEY.test(key)) registerSecret(value)
    // `--token=x` / `--token x`: values of secret-looking flags
    server.args.forEach((arg, i) => {
      if (!arg.startsWith("-")) return
      const eq = arg.indexOf("=")
      const flag = eq === -1 ? arg : arg.slice(0, eq)
      if (!SECRET_KEY.test(flag) || /kubeconfig|config$/i.test(flag)) return
      const value = eq === -1 ? server.args[i + 1] : arg.slice(eq + 1)
      if (value !== undefined) registerSecret(value)
    })
  }
}

const toConnection = (server: McpServerConfig) =>
  server.transport === "stdio"
    ? {
        transport: "stdio" as const,
        command: server.command,
        args: [...server.args],
        env: { ...server.env },
        stderr: "pipe" as const,
        ...(server.cwd !== undefined ? { cwd: server.cwd } : {}),
        restart: { enabled: false }
      }
    : {
        transport: "http" as const,
        url: server.url,
        headers: { ...server.headers },
        automaticSSEFallback: false
      }

/**
 * Builds the live manager for a configuration: connects to every enabled server (concurrently, each bounded by the
 * connect timeout), starts the background reconnect fibers in the current scope, and registers the health check.
 */
export const make = (
  config: McpConfig,
  options: McpToolManagerOptions = {}
): Effect.Effect<McpToolManagerShape, never, HealthChecks | Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const runtime = yield* Effect.runtime<never>()
    const health = yield* HealthChecks
    const connectTimeout = options.connectTimeout ?? "15 seconds"
    const reconnectInitial = options.reconnectInitialDelay ?? "1 second"
    const reconnectSchedule = Schedule.exponential(reconnectInitial, 2).pipe(
      Schedule.union(Schedule.spaced(options.reconnectMaxDelay ?? "60 seconds")),
      Schedule.jittered
    )
    const callRetrySchedule = Schedule.exponential(options.callRetryDelay ?? "200 millis", 2).pipe(
      Schedule.jittered,
      Schedule.intersect(Schedule.recurs(options.callRetries ?? 2))
    )
    const shuttingDown = yield* Ref.make(false)

    const entries = new Map<string, ServerEntry>()
    for (const server of config.servers) {
      registerSecrets(server)
      const state = yield* Ref.make<ServerState>(server.enabled ? { _tag: "Connecting" } : { _tag: "Disabled" })
      entries.set(server.name, { config: server, state })
    }

    const closeClient = (client: MultiServerMCPClient) =>
      Effect.promise(() => client.close().catch(() => undefined)).pipe(Effect.timeout("5 seconds"), Effect.ignore)

    /** Marks a connection dead (once), wakes the reconnect fiber, and closes the client in the background. */
    const markLost = (entry: ServerEntry, conn: Connection, reason: string) =>
      Effect.gen(function* () {
        if (yield* Ref.get(shuttingDown)) return
        const changed = yield* Ref.modify(entry.state, (s): [boolean, ServerState] =>
          s._tag === "Connected" && s.conn === conn
            ? [true, { _tag: "Failed", error: reason, attempts: 0 }]
            : [false, s]
        )
        if (!changed) return
        yield* Effect.logWarning(`mcp: connection to ${entry.config.name} lost: ${reason}; reconnecting`)
        yield* Deferred.succeed(conn.lost, undefined)
        yield* Effect.forkIn(closeClient(conn.client), scope)
      }).pipe(Effect.annotateLogs("mcp_server", entry.config.name))

    /** Keeps the last lines a stdio server wrote on stderr, logged at debug level. */
    const watchStderr = (entry: ServerEntry, sdk: Client) => {
      const stderr: unknown = sdk.transport === undefined ? undefined : Reflect.get(sdk.transport, "stderr")
      if (!(stderr instanceof Readable)) return
      stderr.setEncoding("utf8")
      stderr.on("data", (chunk: unknown) => {
        const lines = String(chunk)
          .split("\n")
          .filter((l) => l.trim() !== "")
        if (lines.length === 0) return
        Runtime.runFork(runtime)(
          Effect.logDebug(`mcp: ${entry.config.name} stderr: ${redactKnown(lines.join(" | ")).slice(0, 2000)}`)
        )
      })
    }

    /** One connection attempt: connect, discover, apply the policy, install. Fails with a readable message. */
    const connectOnce = (entry: ServerEntry): Effect.Effect<void, string> =>
      Effect.gen(function* () {
        const server = entry.config
        const client = yield* Effect.try({
          try: () =>
            new MultiServerMCPClient({
              mcpServers: { [server.name]: toConnection(server) },
              onConnectionError: "throw",
              throwOnLoadError: false,
              prefixToolNameWithServerName: false,
              useStandardContentBlocks: false
            }),
          catch: (e) => `invalid connection settings: ${errorText(e)}`
        })
        const discovered = yield* Effect.tryPromise({
          try: async () => ({ tools: await client.getTools(), sdk: await client.getClient(server.name) }),
          catch: (e) => {
            const message = errorText(e)
            // The adapter cannot show the child's stderr; tell the operator how to see why it exited.
            return server.transport === "stdio" && message.includes("Connection closed")
              ? `${message} (the process exited during start-up; run it by hand to see why: ${redactKnown(describeServer(server).replace(/^stdio /, ""))})`
              : message
          }
        }).pipe(
          Effect.timeoutFail({
            duration: connectTimeout,
            onTimeout: () => `no answer within ${durationText(connectTimeout)} while connecting`
          }),
          Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : closeClient(client)))
        )
        const sdk = discovered.sdk
        if (sdk === undefined) {
          yield* closeClient(client)
          return yield* Effect.fail("connected, but the adapter returned no client")
        }

        const offered: Array<McpTool> = []
        const refused = new Map<string, string>()
        for (const tool of discovered.tools) {
          const meta: unknown = tool.metadata?.["annotations"]
          const hints: ToolHints | undefined = Option.getOrUndefined(Schema.decodeUnknownOption(Hints)(meta))
          const decision = decideTool(tool.name, hints, server)
          if (decision.offered) {
            offered.push({
              server: server.name,
              name: tool.name,
              description: tool.description,
              inputSchema: tool.schema,
              readOnly: decision.readOnly
            })
          } else refused.set(tool.name, decision.reason)
        }
        const lost = yield* Deferred.make<void>()
        const conn: Connection = { client, sdk, tools: offered, refused, lost }

        if (yield* Ref.get(shuttingDown)) {
          yield* closeClient(client)
          return yield* Effect.fail("shutting down")
        }
        yield* Ref.set(entry.state, { _tag: "Connected", conn })
        // The transport closing (process exit, HTTP session end) marks the server failed at once.
        const previousOnClose = sdk.onclose
        sdk.onclose = () => {
          previousOnClose?.()
          Runtime.runFork(runtime)(markLost(entry, conn, "the connection was closed (server process exited?)"))
        }
        watchStderr(entry, sdk)

        if (refused.size > 0) {
          yield* Effect.logInfo(
            `mcp: ${server.name}: refused ${refused.size} tool(s) by the safety policy: ` +
              [...refused].map(([name, why]) => `${name} (${why})`).join("; ")
          )
        }
        yield* Effect.logInfo(
          `mcp: connected to ${server.name} (${redactKnown(describeServer(server))}): ${offered.length} tool(s) offered: ` +
            offered.map((t) => t.name).join(", ")
        )
      }).pipe(
        Effect.tapError((error) =>
          Ref.modify(entry.state, (s): [number, ServerState] => {
            const attempts = s._tag === "Failed" ? s.attempts + 1 : 1
            return [attempts, { _tag: "Failed", error, attempts }]
          }).pipe(
            Effect.flatMap((attempts) => {
              const message = `mcp: cannot connect to ${entry.config.name} (attempt ${attempts}): ${error}`
              return attempts <= 1 || attempts % 10 === 0 ? Effect.logWarning(message) : Effect.logDebug(message)
            })
          )
        ),
        Effect.annotateLogs("mcp_server", entry.config.name),
        Effect.withSpan("McpToolManager.connect", { attributes: { server: entry.config.name } })
      )

    /** Forever: wait while connected; when failed, reconnect with back-off. */
    const supervise = (entry: ServerEntry) =>
      Effect.gen(function* () {
        for (;;) {
          const state = yield* Ref.get(entry.state)
          if (state._tag === "Disabled") return
          if (state._tag === "Connected") {
            yield* Deferred.await(state.conn.lost)
            continue
          }
          // Failed (at start, or found dead): wait a little first, so a crash-looping server is not hammered.
          if (state._tag === "Failed") yield* Effect.sleep(reconnectInitial)
          yield* connectOnce(entry).pipe(Effect.retry(reconnectSchedule), Effect.ignore)
        }
      })

    const enabled = [...entries.values()].filter((e) => e.config.enabled)
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Ref.set(shuttingDown, true)
        yield* Effect.forEach(
          enabled,
          (entry) =>
            Ref.get(entry.state).pipe(
              Effect.flatMap((s) => (s._tag === "Connected" ? closeClient(s.conn.client) : Effect.void))
            ),
          { concurrency: "unbounded", discard: true }
        )
      })
    )
    yield* Effect.forEach(enabled, (entry) => Effect.ignore(connectOnce(entry)), {
      concurrency: "unbounded",
      discard: true
    })
    for (const entry of enabled) yield* Effect.forkScoped(supervise(entry))

    const tools: Effect.Effect<ReadonlyArray<McpTool>> = Effect.map(
      Effect.forEach([...entries.values()], (entry) => Ref.get(entry.state)),
      (states) => states.flatMap((s) => (s._tag === "Connected" ? s.conn.tools : []))
    )

    const call = (server: string, tool: string, args: Record<string, unknown>, callOptions?: CallOptions) => {
      const entry = entries.get(server)
      const fail = (reason: McpToolErrorReason, message: string, retryable: boolean) =>
        Effect.fail(new McpToolError({ server, tool, message: redactKnown(message), retryable, reason }))
      if (entry === undefined) {
        return Effect.fail(
          new McpToolError({
            server,
            tool,
            message: `unknown MCP server "${server}"`,
            retryable: false,
            reason: "unknown_server"
          })
        )
      }
      const timeout = entry.config.timeout
      const timeoutMs = Duration.toMillis(timeout)
      const attempt = Effect.gen(function* () {
        const state = yield* Ref.get(entry.state)
        if (state._tag !== "Connected") {
          const detail =
            state._tag === "Failed" ? `: ${state.error}` : state._tag === "Disabled" ? " (disabled)" : " (connecting)"
          return yield* fail(
            "not_connected",
            `MCP server ${server} is not connected${detail}`,
            state._tag !== "Disabled"
          )
        }
        const conn = state.conn
        if (!conn.tools.some((t) => t.name === tool)) {
          const why = conn.refused.get(tool)
          return yield* why !== undefined
            ? fail("refused", `tool ${tool} of ${server} is not offered by the safety policy: ${why}`, false)
            : fail("refused", `MCP server ${server} has no tool named ${tool}`, false)
        }
        const started = Date.now()
        // the deadline aborts the request like an interruption would (the SDK cancels it on the server), without
        // the two fibers and the race of `Effect.timeoutFail` per call (issue #10: one call per agent step)
        const raw = yield* callWithDeadline(
          timeoutMs,
          (signal) =>
            conn.sdk.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: timeoutMs + 5_000 }),
          (e, timedOut) => ({ timedOut, transport: isTransportError(e), message: errorText(e) })
        ).pipe(
          Effect.catchAll((e) =>
            e.timedOut
              ? Effect.fail(
                  new McpToolError({
                    server,
                    tool,
                    message: `tool ${tool} of ${server} did not answer within ${Duration.format(timeout)}`,
                    retryable: true,
                    reason: "timeout"
                  })
                )
              : e.transport
                ? markLost(entry, conn, e.message).pipe(Effect.zipRight(fail("transport", e.message, true)))
                : fail("protocol", e.message, false)
          )
        )
        const out = callResultText(raw)
        const cut = truncateOutput(out.text, callOptions?.outputBudget ?? config.toolOutputBudget)
        return { text: cut.text, isError: out.isError, truncated: cut.truncated, durationMs: Date.now() - started }
      })
      const callStarted = Date.now()
      return retryAfterFailure(attempt, (replayed) =>
        Effect.retry(replayed, {
          schedule: callRetrySchedule,
          while: (e) => e.reason === "transport" || (e.reason === "not_connected" && e.retryable)
        })
      ).pipe(
        Effect.onExit((exit) =>
          recordToolCall(
            server,
            tool,
            Exit.isSuccess(exit)
              ? exit.value.isError
                ? "tool_error"
                : "success"
              : Option.match(Cause.failureOption(exit.cause), { onNone: () => "interrupted", onSome: (e) => e.reason }),
            Date.now() - callStarted
          )
        ),
        Effect.tapError((e) =>
          Effect.logWarning(`mcp: call ${server}/${tool} failed (${e.reason}): ${e.message}`).pipe(
            Effect.annotateLogs("mcp_server", server)
          )
        ),
        Effect.withSpan("McpToolManager.call", { attributes: { server, tool }, captureStackTrace: false })
      )
    }

    const status: Effect.Effect<ReadonlyArray<DependencyHealth>> =
      entries.size === 0
        ? Effect.succeed([
            DependencyHealth.make({
              name: "mcp",
              kind: "mcp",
              status: "disabled",
              detail: "no MCP servers configured (mcp_config.yaml)"
            })
          ])
        : Effect.forEach([...entries.values()], (entry) =>
            Effect.map(Ref.get(entry.state), (s) => serverHealth(entry.config, s))
          )

    yield* health.register(status)
    return { tools, call, status }
  })

const serverHealth = (server: McpServerConfig, state: ServerState): DependencyHealth => {
  const base = { name: server.name, kind: `mcp/${server.transport}` }
  switch (state._tag) {
    case "Disabled":
      return DependencyHealth.make({ ...base, status: "disabled", detail: "enabled: false in mcp_config.yaml" })
    case "Connecting":
      return DependencyHealth.make({ ...base, status: "degraded", detail: "connecting" })
    case "Connected":
      return DependencyHealth.make({
        ...base,
        status: "ok",
        tool_count: state.conn.tools.length,
        detail:
          `${state.conn.tools.length} tool(s) offered` +
          (state.conn.refused.size > 0 ? `, ${state.conn.refused.size} refused by the safety policy` : "")
      })
    case "Failed":
      return DependencyHealth.make({
        ...base,
        status: "failed",
        detail: `${redactKnown(state.error)} (reconnecting in the background)`
      })
  }
}

/** The live layer: reads `MCP_CONFIG_PATH` / `mcp_config.yaml`; a bad file fails the layer with `McpConfigError`. */
export const layer: Layer.Layer<McpToolManager, McpConfigError, HealthChecks> = Layer.scoped(
  McpToolManager,
  Effect.flatMap(loadMcpConfigFromEnv, (config) => make(config))
)

/** The live layer for an already-loaded configuration (tests, tools). */
export const layerFromConfig = (
  config: McpConfig,
  options: McpToolManagerOptions = {}
): Layer.Layer<McpToolManager, never, HealthChecks> => Layer.scoped(McpToolManager, make(config, options))

// ---------------------------------------------------------------------------------------------------------------
// Test layer
// ---------------------------------------------------------------------------------------------------------------

/** A canned tool for {@link layerTest}. */
export interface CannedTool {
  /** Default `test`. */
  readonly server?: string
  readonly name: string
  readonly description?: string
  readonly inputSchema?: unknown
  /** Text, a tool error, or a function of the arguments. */
  readonly output?:
    string | { readonly error: string } | ((args: Record<string, unknown>) => string | { readonly error: string })
}

/** A manager with canned tools: no processes, no network. Unknown tools fail with a non-retryable `McpToolError`. */
export const layerTest = (
  tools: ReadonlyArray<CannedTool>,
  options: { readonly toolOutputBudget?: number } = {}
): Layer.Layer<McpToolManager> =>
  Layer.succeed(McpToolManager, {
    tools: Effect.succeed(
      tools.map((t) => ({
        server: t.server ?? "test",
        name: t.name,
        description: t.description ?? "",
        inputSchema: t.inputSchema ?? { type: "object", properties: {} },
        readOnly: true
      }))
    ),
    call: (server, tool, args, callOptions) => {
      const found = tools.find((t) => (t.server ?? "test") === server && t.name === tool)
      if (found === undefined) {
        return Effect.fail(
          new McpToolError({ server, tool, message: `no tool ${server}/${tool}`, retryable: false, reason: "refused" })
        )
      }
      const output = typeof found.output === "function" ? found.output(args) : (found.output ?? "")
      const text = typeof output === "string" ? output : output.error
      const cut = truncateOutput(text, callOptions?.outputBudget ?? options.toolOutputBudget ?? 20_000)
      return Effect.succeed({
        text: cut.text,
        isError: typeof output !== "string",
        truncated: cut.truncated,
        durationMs: 0
      })
    },
    status: Effect.succeed(
      [...new Set(tools.map((t) => t.server ?? "test"))].map((name) =>
        DependencyHealth.make({
          name,
          kind: "mcp/test",
          status: "ok",
          tool_count: tools.filter((t) => (t.server ?? "test") === name).length
        })
      )
    )
  })

/** Alias of {@link layer}, named like the other layers of the server (`layerHealthChecks`, ...). */
export const layerMcpToolManager = layer

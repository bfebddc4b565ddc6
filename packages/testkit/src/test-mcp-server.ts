/**
 * A test MCP server with Kubernetes-flavoured canned tools, built on `@modelcontextprotocol/sdk`'s `McpServer`.
 *
 * Read-only tools (`readOnlyHint: true`): `get_pod_status`, `list_events`, `get_logs`, `slow_tool`,
 * `failing_tool`, `big_output`. Tools an orchestrator must filter out: `pods_delete` (destructive),
 * `scale_deployment` (`readOnlyHint: false`), `pods_run` (`destructiveHint: false` but no `readOnlyHint`) and
 * `describe_thing` (no annotations at all).
 *
 * Serve it in-process over streamable HTTP ({@link startTestMcpHttpServer}) or as a child process over stdio
 * (`test-mcp-server-main.ts`, see {@link testMcpStdioServerConfig}).
 *
 * @module
 */
import { randomUUID } from "node:crypto"
import { appendFileSync, readFileSync } from "node:fs"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import { isInitializeRequest, type CallToolResult, type ToolAnnotations } from "@modelcontextprotocol/sdk/types.js"
import { Effect, type Scope } from "effect"
import { z } from "zod"

/** An override for a tool's output: text, an MCP tool error, or a function of the call arguments. */
export type ToolOutput =
  | string
  | { readonly error: string }
  | ((
      args: Readonly<Record<string, unknown>>
    ) => string | { readonly error: string } | Promise<string | { readonly error: string }>)

/** Tool outputs keyed by tool name (a JSON fixture file has the same shape, without functions). */
export type ToolOutputs = Readonly<Record<string, ToolOutput>>

/** One recorded tool call. */
export interface TestMcpCall {
  readonly tool: string
  readonly arguments: Readonly<Record<string, unknown>>
  /** `Date.now()` when the call arrived. */
  readonly at: number
  /** The MCP session id (streamable HTTP only). */
  readonly sessionId?: string
}

/** Options shared by every form of the test MCP server. */
export interface TestMcpServerOptions {
  /** Overrides of tool outputs (see {@link ToolOutput}). */
  readonly tools?: ToolOutputs
  /** Append every call as a JSON line (a {@link TestMcpCall}) to this file. */
  readonly callLogFile?: string
  /** Called for every tool call (after it is recorded, before it runs). */
  readonly onCall?: (call: TestMcpCall) => void
}

/** Name and annotations of a default tool. */
export interface TestMcpToolInfo {
  readonly name: string
  readonly annotations: ToolAnnotations | undefined
}

/** Default tools that are annotated `readOnlyHint: true`. */
export const READ_ONLY_TOOLS = [
  "get_pod_status",
  "list_events",
  "get_logs",
  "slow_tool",
  "failing_tool",
  "big_output"
] as const

/** Default tools that are NOT read-only (mutating, or without a `readOnlyHint: true`). */
export const NOT_READ_ONLY_TOOLS = ["pods_delete", "scale_deployment", "pods_run", "describe_thing"] as const

/** Names of all default tools. */
export type TestMcpToolName = (typeof READ_ONLY_TOOLS)[number] | (typeof NOT_READ_ONLY_TOOLS)[number]

const READ_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, openWorldHint: false }

/** The annotations every default tool is registered with (`undefined`: registered without annotations). */
export const TEST_MCP_TOOLS: readonly TestMcpToolInfo[] = [
  { name: "get_pod_status", annotations: { title: "Get pod status", ...READ_ONLY } },
  { name: "list_events", annotations: { title: "List events", ...READ_ONLY } },
  { name: "get_logs", annotations: { title: "Get pod logs", ...READ_ONLY } },
  { name: "slow_tool", annotations: { title: "Slow tool", ...READ_ONLY } },
  { name: "failing_tool", annotations: { title: "Failing tool", ...READ_ONLY } },
  { name: "big_output", annotations: { title: "Big output", ...READ_ONLY } },
  { name: "pods_delete", annotations: { title: "Delete pod", readOnlyHint: false, destructiveHint: true } },
  { name: "scale_deployment", annotations: { title: "Scale deployment", readOnlyHint: false, destructiveHint: false } },
  { name: "pods_run", annotations: { title: "Run pod", destructiveHint: false } },
  { name: "describe_thing", annotations: undefined }
]

const annotationsOf = (name: TestMcpToolName): ToolAnnotations | undefined =>
  TEST_MCP_TOOLS.find((t) => t.name === name)?.annotations

const MAX_SLEEP_MS = 120_000
const MAX_BYTES = 64 * 1024 * 1024

const str = (value: unknown, fallback: string): string => (typeof value === "string" ? value : fallback)

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolvePromise) => {
    if (signal.aborted) return resolvePromise()
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort)
      resolvePromise()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      resolvePromise()
    }
    signal.addEventListener("abort", onAbort, { once: true })
  })

const text = (t: string): CallToolResult => ({ content: [{ type: "text", text: t }] })
const toolError = (message: string): CallToolResult => ({ content: [{ type: "text", text: message }], isError: true })

/** The canned outputs of the default tools (used unless overridden). */
const defaultOutputs: Readonly<Record<TestMcpToolName, (args: Readonly<Record<string, unknown>>) => string>> = {
  get_pod_status: (a) => {
    const ns = str(a["namespace"], "default")
    const name = str(a["name"], "pod")
    return [
      `Pod ${ns}/${name}`,
      `Status: Running`,
      `Ready: 1/1`,
      `Restarts: 0`,
      `Node: node-1`,
      `IP: 10.0.0.12`,
      `Containers:`,
      `  app: image=registry.example.com/${name}:1.0.0 state=Running`
    ].join("\n")
  },
  list_events: (a) => {
    const ns = str(a["namespace"], "default")
    return [
      "LAST SEEN   TYPE      REASON      OBJECT          MESSAGE",
      `2m          Normal    Scheduled   pod/web-1       Successfully assigned ${ns}/web-1 to node-1`,
      `2m          Normal    Pulled      pod/web-1       Container image already present on machine`,
      `1m          Warning   BackOff     pod/worker-1    Back-off restarting failed container worker in pod worker-1`
    ].join("\n")
  },
  get_logs: (a) => {
    const pod = str(a["pod"], "pod")
    if (a["previous"] === true) {
      return [
        `[${pod}] (previous) 2024-01-01T00:00:00Z INFO starting`,
        `[${pod}] (previous) 2024-01-01T00:00:05Z ERROR connection refused: db:5432`,
        `[${pod}] (previous) 2024-01-01T00:00:05Z FATAL exiting with code 1`
      ].join("\n")
    }
    return [
      `[${pod}] 2024-01-01T00:01:00Z INFO starting`,
      `[${pod}] 2024-01-01T00:01:01Z INFO listening on :8080`,
      `[${pod}] 2024-01-01T00:01:30Z WARN slow request GET /api/items 1200ms`
    ].join("\n")
  },
  slow_tool: (a) => `slept ${typeof a["ms"] === "number" ? a["ms"] : 0} ms`,
  failing_tool: () => "",
  big_output: (a) => "x".repeat(Math.min(MAX_BYTES, Math.max(0, typeof a["bytes"] === "number" ? a["bytes"] : 0))),
  pods_delete: (a) => `pod ${str(a["namespace"], "default")}/${str(a["name"], "pod")} deleted`,
  scale_deployment: (a) =>
    `deployment ${str(a["namespace"], "default")}/${str(a["name"], "deployment")} scaled to ${String(a["replicas"])}`,
  pods_run: (a) => `pod ${str(a["namespace"], "default")}/${str(a["name"], "run")} created`,
  describe_thing: (a) => `${str(a["kind"], "Thing")} ${str(a["name"], "thing")}: nothing unusual`
}

/** Reads a JSON fixture file (`{ "<tool>": "<output>" | { "error": "<message>" } }`) into {@link ToolOutputs}. */
export const loadToolFixture = (file: string): ToolOutputs => {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- test fixture path chosen by the test author
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"))
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`test-mcp: fixture ${file} must be a JSON object of tool name -> output`)
  }
  const out: Record<string, ToolOutput> = {}
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value === "string") out[name] = value
    else if (typeof value === "object" && value !== null && typeof (value as { error?: unknown }).error === "string") {
      out[name] = { error: (value as { error: string }).error }
    } else throw new Error(`test-mcp: fixture entry ${name} must be a string or { "error": string }`)
  }
  return out
}

/**
 * The server options the CLI derives from its environment: `TEST_MCP_FIXTURE=<json file>` (tool outputs, see
 * {@link loadToolFixture}) and `TEST_MCP_CALL_LOG=<file>` (JSON-lines call log).
 */
export const testMcpOptionsFromEnv = (env: Readonly<Record<string, string | undefined>>): TestMcpServerOptions => {
  const fixture = env["TEST_MCP_FIXTURE"]
  const callLog = env["TEST_MCP_CALL_LOG"]
  return {
    ...(fixture !== undefined && fixture !== "" ? { tools: loadToolFixture(fixture) } : {}),
    ...(callLog !== undefined && callLog !== "" ? { callLogFile: callLog } : {})
  }
}

/** Parses a call log written via {@link TestMcpServerOptions.callLogFile} / `TEST_MCP_CALL_LOG`. */
export const readCallLog = (file: string): TestMcpCall[] => {
  let content: string
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- call log path chosen by the test author
    content = readFileSync(file, "utf8")
  } catch {
    return []
  }
  return content
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as TestMcpCall)
}

/**
 * Creates an `McpServer` with the default tools. Calls are pushed onto `calls` (and appended to
 * `options.callLogFile`). Connect it to any transport yourself, or use {@link startTestMcpHttpServer} /
 * `test-mcp-server-main.ts`.
 */
export const createTestMcpServer = (
  options: TestMcpServerOptions = {},
  calls: TestMcpCall[] = [],
  sessionId?: () => string | undefined
): McpServer => {
  const server = new McpServer({ name: "sre-test-mcp", version: "0.1.0" })

  const run = async (
    tool: TestMcpToolName,
    args: Readonly<Record<string, unknown>>,
    fallback: () => Promise<CallToolResult> | CallToolResult
  ): Promise<CallToolResult> => {
    const sid = sessionId?.()
    const call: TestMcpCall = {
      tool,
      arguments: args,
      at: Date.now(),
      ...(sid !== undefined ? { sessionId: sid } : {})
    }
    calls.push(call)
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- call log path chosen by the test author
    if (options.callLogFile !== undefined) appendFileSync(options.callLogFile, `${JSON.stringify(call)}\n`)
    options.onCall?.(call)
    const override = options.tools?.[tool]
    if (override === undefined) return fallback()
    const output = typeof override === "function" ? await override(args) : override
    return typeof output === "string" ? text(output) : toolError(output.error)
  }

  const config = (
    name: TestMcpToolName,
    description: string
  ): { description: string; annotations?: ToolAnnotations } => {
    const annotations = annotationsOf(name)
    return annotations === undefined ? { description } : { description, annotations }
  }
  const canned = (name: TestMcpToolName, args: Readonly<Record<string, unknown>>): CallToolResult =>
    text(defaultOutputs[name](args))

  const namespace = z.string().describe("Kubernetes namespace")

  server.registerTool(
    "get_pod_status",
    {
      ...config("get_pod_status", "Get the status of a pod (phase, readiness, restarts)."),
      inputSchema: { namespace, name: z.string().describe("Pod name") }
    },
    (args) => run("get_pod_status", args, () => canned("get_pod_status", args))
  )
  server.registerTool(
    "list_events",
    { ...config("list_events", "List recent events in a namespace."), inputSchema: { namespace } },
    (args) => run("list_events", args, () => canned("list_events", args))
  )
  server.registerTool(
    "get_logs",
    {
      ...config("get_logs", "Get the logs of a pod, optionally of the previous container instance."),
      inputSchema: {
        namespace,
        pod: z.string().describe("Pod name"),
        previous: z.boolean().optional().describe("Logs of the previous (crashed) container")
      }
    },
    (args) => run("get_logs", args, () => canned("get_logs", args))
  )
  server.registerTool(
    "slow_tool",
    {
      ...config("slow_tool", "Sleeps for the given number of milliseconds, then answers."),
      inputSchema: { ms: z.number().int().min(0).describe("Milliseconds to sleep") }
    },
    (args, extra) =>
      run("slow_tool", args, async () => {
        await sleep(Math.min(MAX_SLEEP_MS, args.ms), extra.signal)
        return canned("slow_tool", args)
      })
  )
  server.registerTool(
    "failing_tool",
    { ...config("failing_tool", "Always fails with a tool error."), inputSchema: {} },
    (args) => run("failing_tool", args, () => toolError("failing_tool: simulated failure (connection refused)"))
  )
  server.registerTool(
    "big_output",
    {
      ...config("big_output", "Returns a text of the given size in characters."),
      inputSchema: { bytes: z.number().int().min(0).describe("Number of characters to return") }
    },
    (args) => run("big_output", args, () => canned("big_output", args))
  )
  server.registerTool(
    "pods_delete",
    {
      ...config("pods_delete", "Delete a pod."),
      inputSchema: { namespace, name: z.string().describe("Pod name") }
    },
    (args) => run("pods_delete", args, () => canned("pods_delete", args))
  )
  server.registerTool(
    "scale_deployment",
    {
      ...config("scale_deployment", "Scale a deployment to a number of replicas."),
      inputSchema: { namespace, name: z.string().describe("Deployment name"), replicas: z.number().int().min(0) }
    },
    (args) => run("scale_deployment", args, () => canned("scale_deployment", args))
  )
  server.registerTool(
    "pods_run",
    {
      ...config("pods_run", "Run a pod with the given image."),
      inputSchema: { namespace, image: z.string().describe("Container image"), name: z.string().optional() }
    },
    (args) => run("pods_run", args, () => canned("pods_run", args))
  )
  server.registerTool(
    "describe_thing",
    {
      ...config("describe_thing", "Describe a thing."),
      inputSchema: { kind: z.string(), name: z.string() }
    },
    (args) => run("describe_thing", args, () => canned("describe_thing", args))
  )
  return server
}

// ---------------------------------------------------------------------------------------------------------------
// Streamable HTTP
// ---------------------------------------------------------------------------------------------------------------

/** Options for {@link startTestMcpHttpServer}. */
export interface TestMcpHttpServerOptions extends TestMcpServerOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number
}

/** A running streamable-HTTP test MCP server. */
export interface TestMcpHttpServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:1234/mcp`. */
  readonly url: string
  readonly port: number
  /** Every tool call so far, across sessions (live array). */
  readonly calls: readonly TestMcpCall[]
  /** Number of currently open MCP sessions. */
  readonly sessions: number
  /** Closes all sessions and the HTTP server. Idempotent. */
  close(): Promise<void>
}

const readJsonBody = (req: IncomingMessage): Promise<unknown> =>
  new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8")
      if (raw.length === 0) return resolvePromise(undefined)
      try {
        resolvePromise(JSON.parse(raw))
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)))
      }
    })
    req.on("error", reject)
  })

const jsonRpcError = (res: ServerResponse, status: number, code: number, message: string): void => {
  const body = JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null })
  res.writeHead(status, { "content-type": "application/json" })
  res.end(body)
}

/**
 * Starts the test MCP server over streamable HTTP on 127.0.0.1 (stateful sessions, endpoint `/mcp`).
 *
 * @example
 * const mcp = await startTestMcpHttpServer({ tools: { get_pod_status: "CrashLoopBackOff" } })
 * const client = new MultiServerMCPClient({ mcpServers: { k8s: { transport: "http", url: mcp.url } } })
 */
export const startTestMcpHttpServer = async (options: TestMcpHttpServerOptions = {}): Promise<TestMcpHttpServer> => {
  const calls: TestMcpCall[] = []
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>()
  let closed = false

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0]
    if (path !== "/mcp") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found")
      return
    }
    const header = req.headers["mcp-session-id"]
    const sid = Array.isArray(header) ? header[0] : header
    const existing = sid !== undefined ? sessions.get(sid) : undefined

    if (req.method === "POST") {
      const body = await readJsonBody(req).catch(() => Symbol.for("invalid"))
      if (typeof body === "symbol") return jsonRpcError(res, 400, -32700, "Parse error")
      if (existing !== undefined) return existing.transport.handleRequest(req, res, body)
      if (sid === undefined && isInitializeRequest(body)) {
        let sessionId: string | undefined
        const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessionId = id
            sessions.set(id, { transport, server })
          }
        })
        const server = createTestMcpServer(options, calls, () => sessionId)
        transport.onclose = () => {
          if (sessionId !== undefined) sessions.delete(sessionId)
        }
        await server.connect(transport)
        return transport.handleRequest(req, res, body)
      }
      return jsonRpcError(res, 400, -32000, "Bad Request: no valid session id")
    }
    if ((req.method === "GET" || req.method === "DELETE") && existing !== undefined) {
      return existing.transport.handleRequest(req, res)
    }
    if (req.method === "GET" || req.method === "DELETE") return jsonRpcError(res, 400, -32000, "Invalid session id")
    res.writeHead(405, { allow: "GET, POST, DELETE" }).end()
  }

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) jsonRpcError(res, 500, -32603, `Internal error: ${String(error)}`)
      else res.destroy()
    })
  })
  http.keepAliveTimeout = 1_000
  await new Promise<void>((resolvePromise, reject) => {
    http.once("error", reject)
    http.listen(options.port ?? 0, "127.0.0.1", () => {
      http.off("error", reject)
      resolvePromise()
    })
  })
  const port = (http.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    calls,
    get sessions() {
      return sessions.size
    },
    close: async () => {
      if (closed) return
      closed = true
      const open = [...sessions.values()]
      sessions.clear()
      await Promise.allSettled(open.map(({ server }) => server.close()))
      await new Promise<void>((resolvePromise) => {
        http.close(() => resolvePromise())
        http.closeAllConnections()
      })
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// stdio (child process)
// ---------------------------------------------------------------------------------------------------------------

/** Absolute path of the CLI entry `test-mcp-server-main.ts`. */
export const TEST_MCP_SERVER_MAIN: string = fileURLToPath(new URL("./test-mcp-server-main.ts", import.meta.url))

/** The repository root (where `node_modules/tsx` resolves), used as the child's working directory. */
const REPO_ROOT: string = resolve(dirname(TEST_MCP_SERVER_MAIN), "..", "..", "..")

/** Options for {@link testMcpStdioServerConfig}. */
export interface TestMcpStdioOptions {
  /** JSON fixture of tool outputs, passed as `TEST_MCP_FIXTURE`. */
  readonly fixtureFile?: string
  /** File the child appends calls to (JSON lines), passed as `TEST_MCP_CALL_LOG`; read it with {@link readCallLog}. */
  readonly callLogFile?: string
  /** Extra environment for the child. */
  readonly env?: Readonly<Record<string, string>>
}

/** A stdio server definition as accepted by `MultiServerMCPClient`'s `mcpServers` (and the SDK's stdio client). */
export interface TestMcpStdioConfig {
  readonly transport: "stdio"
  readonly command: string
  readonly args: string[]
  readonly env: Record<string, string>
  readonly cwd: string
}

/**
 * The command that runs the test MCP server over stdio as a child process:
 * `node --import tsx <abs>/test-mcp-server-main.ts --transport stdio`.
 *
 * @example
 * const client = new MultiServerMCPClient({ mcpServers: { k8s: testMcpStdioServerConfig({ callLogFile }) } })
 */
export const testMcpStdioServerConfig = (options: TestMcpStdioOptions = {}): TestMcpStdioConfig => ({
  transport: "stdio",
  command: process.execPath,
  args: ["--import", "tsx", TEST_MCP_SERVER_MAIN, "--transport", "stdio"],
  env: {
    ...(options.env ?? {}),
    ...(options.fixtureFile !== undefined ? { TEST_MCP_FIXTURE: options.fixtureFile } : {}),
    ...(options.callLogFile !== undefined ? { TEST_MCP_CALL_LOG: options.callLogFile } : {})
  },
  cwd: REPO_ROOT
})

// ---------------------------------------------------------------------------------------------------------------
// Effect helpers
// ---------------------------------------------------------------------------------------------------------------

/**
 * Effect helpers for the streamable-HTTP test MCP server.
 *
 * @example
 * const mcp = yield* TestMcpHttpServer.scoped({ tools: { list_events: "no events" } })
 */
export const TestMcpHttpServer = {
  /** Same as {@link startTestMcpHttpServer}. */
  start: startTestMcpHttpServer,
  /** Starts the server for the lifetime of the current `Scope` (closed on scope exit). */
  scoped: (options: TestMcpHttpServerOptions = {}): Effect.Effect<TestMcpHttpServer, Error, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => startTestMcpHttpServer(options),
        catch: (e) => (e instanceof Error ? e : new Error(String(e)))
      }),
      (server) => Effect.promise(() => server.close())
    )
}

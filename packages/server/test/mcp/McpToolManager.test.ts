/**
 * McpToolManager through the real path: `@langchain/mcp-adapters` → the testkit MCP server over stdio (child
 * process) and streamable HTTP, and the real `kubernetes-mcp-server --read-only`.
 */
/* eslint-disable security/detect-non-literal-fs-filename -- temporary files and /proc paths chosen by the test */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { READ_ONLY_TOOLS, startTestMcpHttpServer, testMcpStdioServerConfig } from "@sre/testkit"
import { Effect, Either } from "effect"
import { loadMcpConfig } from "../../src/mcp/McpConfig.js"
import { redactKnown } from "../../src/observability/redact.js"
import { McpToolError, layerTest, McpToolManager, truncateOutput } from "../../src/mcp/McpToolManager.js"
import { childPids, configFrom, fastOptions, freePort, startManager, waitUntil } from "./helpers.js"

const stdio = testMcpStdioServerConfig()
/** YAML for the testkit server over stdio. */
const stdioServer = (name: string, extra = "") => `
  ${name}:
    transport: stdio
    command: ${JSON.stringify(stdio.command)}
    args: ${JSON.stringify(stdio.args)}
    cwd: ${JSON.stringify(stdio.cwd)}
${extra}`

const httpServer = (name: string, url: string, extra = "") => `
  ${name}:
    transport: streamable_http
    url: ${url}
${extra}`

const acquireHttp = (port?: number) =>
  Effect.acquireRelease(
    Effect.promise(() => startTestMcpHttpServer(port === undefined ? {} : { port })),
    (s) => Effect.promise(() => s.close())
  )

describe("McpToolManager (live)", () => {
  it.live(
    "discovers tools over stdio and offers only those the policy allows",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { manager, health } = yield* startManager(configFrom(`servers:${stdioServer("k8s")}`))
          const names = (yield* manager.tools).map((t) => t.name).sort()
          expect(names).toEqual([...READ_ONLY_TOOLS, "describe_thing"].sort())
          for (const refused of ["pods_delete", "scale_deployment", "pods_run"]) expect(names).not.toContain(refused)
          expect((yield* manager.tools).every((t) => t.server === "k8s" && t.readOnly)).toBe(true)

          const status = yield* manager.status
          expect(status).toHaveLength(1)
          expect(status[0]).toMatchObject({ name: "k8s", status: "ok", tool_count: 7, kind: "mcp/stdio" })
          expect(yield* health.run).toEqual(status)

          const result = yield* manager.call("k8s", "get_pod_status", { namespace: "shop", name: "web-1" })
          expect(result.isError).toBe(false)
          expect(result.truncated).toBe(false)
          expect(result.text).toContain("Pod shop/web-1")

          const refused = yield* Effect.flip(manager.call("k8s", "pods_delete", { namespace: "shop", name: "web-1" }))
          expect(refused).toBeInstanceOf(McpToolError)
          expect(refused).toMatchObject({ reason: "refused", retryable: false, server: "k8s", tool: "pods_delete" })
          expect(refused.message).toContain("destructiveHint")
        })
      ),
    30_000
  )

  it.live(
    "streamable HTTP: allow offers a mutating tool, deny wins, tool errors are results, big outputs are cut",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const http = yield* acquireHttp()
          const config = configFrom(
            `tool_output_budget: 20000
servers:${httpServer(
              "prom",
              http.url,
              `    allow: [scale_deployment, pods_delete]
    deny: [get_logs, pods_delete]
    timeout: 500ms`
            )}`
          )
          const { manager } = yield* startManager(config)
          const tools = yield* manager.tools
          const names = tools.map((t) => t.name)
          expect(names).toContain("scale_deployment")
          expect(tools.find((t) => t.name === "scale_deployment")?.readOnly).toBe(false)
          expect(names).not.toContain("get_logs")
          expect(names).not.toContain("pods_delete")
          expect(names).not.toContain("pods_run")
          expect(tools.find((t) => t.name === "get_pod_status")?.inputSchema).toMatchObject({
            type: "object",
            properties: { namespace: { type: "string" }, name: { type: "string" } }
          })

          const failing = yield* manager.call("prom", "failing_tool", {})
          expect(failing).toMatchObject({ isError: true, truncated: false })
          expect(failing.text).toContain("simulated failure")

          const big = yield* manager.call("prom", "big_output", { bytes: 73_211 })
          expect(big.truncated).toBe(true)
          expect(big.isError).toBe(false)
          expect(big.text.startsWith("x".repeat(20_000) + "\n[")).toBe(true)
          expect(big.text.endsWith("\n[... output truncated: 53211 of 73211 characters omitted ...]")).toBe(true)

          const started = Date.now()
          const timedOut = yield* Effect.flip(manager.call("prom", "slow_tool", { ms: 10_000 }))
          expect(Date.now() - started).toBeLessThan(3_000)
          expect(timedOut).toMatchObject({ reason: "timeout", retryable: true, server: "prom", tool: "slow_tool" })
          // the server is still usable after a timeout
          const after = yield* manager.call("prom", "slow_tool", { ms: 10 })
          expect(after.text).toBe("slept 10 ms")
          expect((yield* manager.status)[0]?.status).toBe("ok")

          const unknown = yield* Effect.flip(manager.call("nope", "get_logs", {}))
          expect(unknown.reason).toBe("unknown_server")
        })
      ),
    30_000
  )

  it.live(
    "servers down at start are failed, the others work, and they come back without a restart",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const good = yield* acquireHttp()
          const port = yield* Effect.promise(() => freePort())
          const config = configFrom(`servers:${httpServer("good", good.url)}${httpServer(
            "later",
            `http://127.0.0.1:${port}/mcp`
          )}
  broken:
    transport: stdio
    command: /nonexistent/mcp-server-binary
  off:
    transport: stdio
    command: whatever
    enabled: false
`)
          const { manager } = yield* startManager(config)
          const status = yield* manager.status
          expect(status.map((s) => [s.name, s.status])).toEqual([
            ["good", "ok"],
            ["later", "failed"],
            ["broken", "failed"],
            ["off", "disabled"]
          ])
          expect(status.find((s) => s.name === "later")?.detail).toMatch(/reconnecting/)
          expect((yield* manager.tools).every((t) => t.server === "good")).toBe(true)
          expect((yield* manager.call("good", "list_events", { namespace: "shop" })).isError).toBe(false)
          const down = yield* Effect.flip(manager.call("later", "list_events", { namespace: "shop" }))
          expect(down).toMatchObject({ reason: "not_connected", retryable: true })

          // The server appears after the manager: the background reconnect finds it.
          yield* acquireHttp(port)
          yield* waitUntil(
            "the late server to connect",
            Effect.map(manager.status, (s) => s.find((x) => x.name === "later")?.status === "ok")
          )
          expect((yield* manager.tools).filter((t) => t.server === "later")).toHaveLength(7)
          const result = yield* manager.call("later", "get_logs", { namespace: "shop", pod: "api-1", previous: true })
          expect(result.text).toContain("connection refused: db:5432")
          expect((yield* manager.status).find((s) => s.name === "broken")?.status).toBe("failed")
        })
      ),
    30_000
  )

  it.live(
    "a stdio server that dies is marked failed, calls fail cleanly, and it is reconnected",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { manager } = yield* startManager(configFrom(`servers:${stdioServer("k8s")}`), {
            ...fastOptions,
            reconnectInitialDelay: "1500 millis"
          })
          expect((yield* manager.call("k8s", "list_events", { namespace: "a" })).isError).toBe(false)
          const pids = childPids("test-mcp-server-main")
          expect(pids).toHaveLength(1)
          process.kill(pids[0] ?? 0, "SIGKILL")

          yield* waitUntil(
            "the server to be marked failed",
            Effect.map(manager.status, (s) => s[0]?.status === "failed")
          )
          const error = yield* Effect.flip(manager.call("k8s", "list_events", { namespace: "a" }))
          expect(error).toBeInstanceOf(McpToolError)
          expect(error.retryable).toBe(true)
          expect(yield* manager.tools).toEqual([])

          yield* waitUntil(
            "the server to reconnect",
            Effect.map(manager.status, (s) => s[0]?.status === "ok")
          )
          expect(childPids("test-mcp-server-main")).toHaveLength(1)
          expect((yield* manager.call("k8s", "list_events", { namespace: "a" })).text).toContain("BackOff")
        })
      ),
    30_000
  )

  it.live(
    "a transport failure found by a call marks the server failed (HTTP server gone)",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const http = yield* Effect.promise(() => startTestMcpHttpServer())
          const { manager } = yield* startManager(configFrom(`servers:${httpServer("h", http.url)}`), {
            ...fastOptions,
            callRetries: 0,
            reconnectInitialDelay: "5 seconds"
          })
          expect((yield* manager.call("h", "list_events", { namespace: "a" })).isError).toBe(false)
          yield* Effect.promise(() => http.close())
          const error = yield* Effect.flip(manager.call("h", "list_events", { namespace: "a" }))
          expect(error.retryable).toBe(true)
          expect(["transport", "not_connected"]).toContain(error.reason)
          yield* waitUntil(
            "failed status",
            Effect.map(manager.status, (s) => s[0]?.status === "failed")
          )
        })
      ),
    30_000
  )

  it.live(
    "kubernetes-mcp-server --read-only (resolved from node_modules/.bin) with an unreachable cluster",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const dir = mkdtempSync(join(tmpdir(), "mcp-k8s-"))
          const kubeconfig = join(dir, "kubeconfig")
          writeFileSync(
            kubeconfig,
            `apiVersion: v1
kind: Config
clusters: [{ name: dummy, cluster: { server: "https://127.0.0.1:1" } }]
users: [{ name: dummy, user: { token: dummy-token-value } }]
contexts: [{ name: dummy, context: { cluster: dummy, user: dummy, namespace: default } }]
current-context: dummy
`
          )
          const config = configFrom(
            `servers:
  kubernetes:
    transport: stdio
    command: kubernetes-mcp-server
    args: ["--read-only", "--disable-destructive", "--list-output", "yaml", "--kubeconfig", "\${KUBECONFIG}"]
`,
            { KUBECONFIG: kubeconfig, PATH: "/usr/bin:/bin" }
          )
          const { manager } = yield* startManager(config)
          const names = (yield* manager.tools).map((t) => t.name)
          expect(names).toContain("pods_list")
          expect(names).toContain("pods_log")
          expect(names).not.toContain("pods_run")
          expect(names).not.toContain("pods_delete")
          const result = yield* manager.call("kubernetes", "pods_list", {})
          expect(result.isError).toBe(true)
          expect(result.text).toContain("connection refused")
        })
      ),
    30_000
  )
})

describe("McpToolManager helpers", () => {
  it("truncateOutput keeps short text and cuts long text with a note", () => {
    expect(truncateOutput("abc", 3)).toEqual({ text: "abc", truncated: false })
    expect(truncateOutput("abcdef", 2)).toEqual({
      text: "ab\n[... output truncated: 4 of 6 characters omitted ...]",
      truncated: true
    })
  })

  it.effect("layerTest serves canned tools", () =>
    Effect.gen(function* () {
      const manager = yield* McpToolManager
      expect((yield* manager.tools).map((t) => `${t.server}/${t.name}`)).toEqual(["test/get_logs", "k8s/events"])
      expect(yield* manager.call("test", "get_logs", { pod: "a" })).toMatchObject({ text: "logs of a", isError: false })
      expect(yield* manager.call("k8s", "events", {})).toMatchObject({ text: "boom", isError: true })
      const missing = yield* Effect.either(manager.call("k8s", "nope", {}))
      expect(Either.isLeft(missing)).toBe(true)
      expect((yield* manager.status).map((s) => [s.name, s.tool_count])).toEqual([
        ["test", 1],
        ["k8s", 1]
      ])
    }).pipe(
      Effect.provide(
        layerTest([
          { name: "get_logs", output: (args) => `logs of ${String(args["pod"])}` },
          { server: "k8s", name: "events", output: { error: "boom" } }
        ])
      )
    )
  )
})

describe("the shipped mcp_config.yaml", () => {
  it.live(
    "starts cleanly when the kubeconfig does not exist: kubernetes is failed, with a hint",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const file = fileURLToPath(new URL("../../../../mcp_config.yaml", import.meta.url))
          const config = yield* loadMcpConfig(file, {
            env: { KUBECONFIG: "/nonexistent/kubeconfig", PATH: process.env["PATH"] }
          })
          const { manager } = yield* startManager(config)
          const [kubernetes] = yield* manager.status
          expect(kubernetes).toMatchObject({ name: "kubernetes", status: "failed", kind: "mcp/stdio" })
          expect(kubernetes?.detail).toContain("the process exited during start-up")
          expect(kubernetes?.detail).toContain("--kubeconfig /nonexistent/kubeconfig")
          expect(yield* manager.tools).toEqual([])
        })
      ),
    30_000
  )
})

describe("secrets", () => {
  it.live("header values and secret flags are registered for redaction and never shown in /health", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const port = yield* Effect.promise(() => freePort())
        const config = configFrom(
          `servers:
  prom:
    transport: streamable_http
    url: http://127.0.0.1:${port}/mcp
    headers: { Authorization: "Bearer \${PROM_TOKEN}" }
  tool:
    transport: stdio
    command: /nonexistent/tool
    args: ["--api-token", "hunter2-very-secret"]
`,
          { PROM_TOKEN: "prom-token-abc123", PATH: "/usr/bin" }
        )
        const { manager, health } = yield* startManager(config)
        const statuses = yield* health.run
        expect(statuses.map((s) => s.status)).toEqual(["failed", "failed"])
        const shown = JSON.stringify(statuses)
        expect(shown).not.toContain("prom-token-abc123")
        expect(shown).not.toContain("hunter2-very-secret")
        expect(redactKnown("token prom-token-abc123 and hunter2-very-secret")).toBe("token [REDACTED] and [REDACTED]")
        expect(yield* manager.tools).toEqual([])
      })
    )
  )
})

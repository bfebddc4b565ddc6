import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { it as effectIt } from "@effect/vitest"
import { MultiServerMCPClient } from "@langchain/mcp-adapters"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js"
import { Effect } from "effect"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import {
  NOT_READ_ONLY_TOOLS,
  READ_ONLY_TOOLS,
  readCallLog,
  startTestMcpHttpServer,
  TEST_MCP_SERVER_MAIN,
  TEST_MCP_TOOLS,
  TestMcpHttpServer,
  testMcpOptionsFromEnv,
  testMcpStdioServerConfig,
  type TestMcpHttpServer as TestMcpHttpServerHandle
} from "../src/index.js"

const textOf = (result: unknown): string =>
  ((result as CallToolResult).content ?? []).map((c) => (c.type === "text" ? c.text : "")).join("")

let dir = ""
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "testkit-mcp-"))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe("test MCP server over streamable HTTP (SDK client)", () => {
  let server: TestMcpHttpServerHandle | undefined
  let client: Client | undefined
  afterEach(async () => {
    await client?.close()
    await server?.close()
    client = undefined
    server = undefined
  })

  const connect = async (srv: TestMcpHttpServerHandle): Promise<Client> => {
    const c = new Client({ name: "test", version: "0.0.0" })
    await c.connect(new StreamableHTTPClientTransport(new URL(srv.url)))
    return c
  }

  it("lists every default tool with its annotations", async () => {
    server = await startTestMcpHttpServer()
    client = await connect(server)
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual([...READ_ONLY_TOOLS, ...NOT_READ_ONLY_TOOLS].sort())
    for (const info of TEST_MCP_TOOLS) {
      const tool = tools.find((t) => t.name === info.name)
      expect(tool?.annotations).toEqual(info.annotations)
    }
    const readOnly = tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name)
    expect(readOnly.sort()).toEqual([...READ_ONLY_TOOLS].sort())
    expect(tools.find((t) => t.name === "pods_delete")?.annotations).toMatchObject({ destructiveHint: true })
    expect(tools.find((t) => t.name === "describe_thing")?.annotations).toBeUndefined()
    expect(server.sessions).toBe(1)
  })

  it("answers canned data, tool errors, big and slow outputs, and records calls", async () => {
    server = await startTestMcpHttpServer()
    client = await connect(server)
    const status = await client.callTool({ name: "get_pod_status", arguments: { namespace: "prod", name: "web-1" } })
    expect(textOf(status)).toContain("Pod prod/web-1")
    expect(
      textOf(await client.callTool({ name: "get_logs", arguments: { namespace: "prod", pod: "w", previous: true } }))
    ).toContain("(previous)")
    expect(textOf(await client.callTool({ name: "list_events", arguments: { namespace: "prod" } }))).toContain(
      "BackOff"
    )
    const failed = await client.callTool({ name: "failing_tool", arguments: {} })
    expect(failed.isError).toBe(true)
    expect(textOf(failed)).toContain("simulated failure")
    expect(textOf(await client.callTool({ name: "big_output", arguments: { bytes: 100_000 } }))).toHaveLength(100_000)
    const t0 = Date.now()
    expect(textOf(await client.callTool({ name: "slow_tool", arguments: { ms: 120 } }))).toBe("slept 120 ms")
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110)
    const invalid = await client.callTool({ name: "get_pod_status", arguments: { namespace: 1 } })
    expect(invalid.isError).toBe(true)

    expect(server.calls.map((c) => c.tool)).toEqual([
      "get_pod_status",
      "get_logs",
      "list_events",
      "failing_tool",
      "big_output",
      "slow_tool"
    ])
    expect(server.calls[0]).toMatchObject({
      arguments: { namespace: "prod", name: "web-1" },
      sessionId: expect.any(String)
    })
  })

  it("uses overrides (text, error, function) and writes a call log", async () => {
    const callLogFile = join(dir, "http-calls.jsonl")
    server = await startTestMcpHttpServer({
      callLogFile,
      tools: {
        get_pod_status: (args) => `override for ${String(args["name"])}`,
        list_events: "no events",
        get_logs: { error: "logs unavailable" }
      }
    })
    client = await connect(server)
    expect(textOf(await client.callTool({ name: "get_pod_status", arguments: { namespace: "a", name: "b" } }))).toBe(
      "override for b"
    )
    expect(textOf(await client.callTool({ name: "list_events", arguments: { namespace: "a" } }))).toBe("no events")
    const logs = await client.callTool({ name: "get_logs", arguments: { namespace: "a", pod: "p" } })
    expect(logs.isError).toBe(true)
    expect(textOf(logs)).toBe("logs unavailable")
    expect(readCallLog(callLogFile).map((c) => c.tool)).toEqual(["get_pod_status", "list_events", "get_logs"])
  })

  it("keeps sessions separate and rejects requests without a session", async () => {
    server = await startTestMcpHttpServer()
    client = await connect(server)
    const second = await connect(server)
    try {
      expect(server.sessions).toBe(2)
      await second.callTool({ name: "list_events", arguments: { namespace: "x" } })
      await client.callTool({ name: "list_events", arguments: { namespace: "y" } })
      const [a, b] = server.calls
      expect(a?.sessionId).toBeDefined()
      expect(a?.sessionId).not.toBe(b?.sessionId)
    } finally {
      await second.close()
    }
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })
    })
    expect(res.status).toBe(400)
  })

  effectIt.scoped("TestMcpHttpServer.scoped starts and stops with the scope", () =>
    Effect.gen(function* () {
      const mcp = yield* TestMcpHttpServer.scoped({ tools: { list_events: "scoped" } })
      const c = yield* Effect.acquireRelease(
        Effect.promise(() => connect(mcp)),
        (cl) => Effect.promise(() => cl.close())
      )
      const result = yield* Effect.promise(() => c.callTool({ name: "list_events", arguments: { namespace: "n" } }))
      expect(textOf(result)).toBe("scoped")
    })
  )
})

describe("test MCP server over stdio (MultiServerMCPClient)", () => {
  it("loads tools with annotations as metadata, honours the fixture and logs calls", async () => {
    const fixtureFile = join(dir, "fixture.json")
    const callLogFile = join(dir, "stdio-calls.jsonl")
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in our own temp dir
    writeFileSync(
      fixtureFile,
      JSON.stringify({ get_pod_status: "CrashLoopBackOff (fixture)", list_events: { error: "denied" } })
    )
    const client = new MultiServerMCPClient({
      mcpServers: { k8s: testMcpStdioServerConfig({ fixtureFile, callLogFile }) }
    })
    try {
      const tools = await client.getTools()
      expect(tools.map((t) => t.name).sort()).toEqual([...READ_ONLY_TOOLS, ...NOT_READ_ONLY_TOOLS].sort())
      const annotations = (name: string): unknown => tools.find((t) => t.name === name)?.metadata?.["annotations"]
      expect(annotations("get_pod_status")).toMatchObject({ readOnlyHint: true })
      expect(annotations("pods_delete")).toMatchObject({ readOnlyHint: false, destructiveHint: true })
      expect(annotations("pods_run")).toEqual({ title: "Run pod", destructiveHint: false })
      expect(annotations("describe_thing") ?? {}).toEqual({})
      const pod = tools.find((t) => t.name === "get_pod_status")
      expect(await pod?.invoke({ namespace: "prod", name: "web-1" })).toContain("CrashLoopBackOff (fixture)")
      const events = tools.find((t) => t.name === "list_events")
      await expect(events?.invoke({ namespace: "prod" })).rejects.toThrow(/denied/)
    } finally {
      await client.close()
    }
    expect(readCallLog(callLogFile)).toMatchObject([
      { tool: "get_pod_status", arguments: { namespace: "prod", name: "web-1" } },
      { tool: "list_events" }
    ])
  })
})

describe("testMcpOptionsFromEnv", () => {
  it("reads the fixture and call log from the environment", () => {
    const fixtureFile = join(dir, "env-fixture.json")
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in our own temp dir
    writeFileSync(fixtureFile, JSON.stringify({ list_events: "none", get_logs: { error: "gone" } }))
    expect(testMcpOptionsFromEnv({})).toEqual({})
    expect(testMcpOptionsFromEnv({ TEST_MCP_FIXTURE: fixtureFile, TEST_MCP_CALL_LOG: "/tmp/x.jsonl" })).toEqual({
      tools: { list_events: "none", get_logs: { error: "gone" } },
      callLogFile: "/tmp/x.jsonl"
    })
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in our own temp dir
    writeFileSync(fixtureFile, JSON.stringify({ list_events: 3 }))
    expect(() => testMcpOptionsFromEnv({ TEST_MCP_FIXTURE: fixtureFile })).toThrow(/must be a string/)
    expect(readCallLog(join(dir, "missing.jsonl"))).toEqual([])
  })
})

describe("test MCP server CLI --transport http", () => {
  it("prints its URL and serves MCP", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", TEST_MCP_SERVER_MAIN, "--transport", "http", "--port", "0"],
      {
        stdio: ["ignore", "pipe", "inherit"]
      }
    )
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ""
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString()
          const m = /listening (\S+)\n/.exec(out)
          if (m?.[1] !== undefined) resolve(m[1])
        })
        child.once("exit", (code) => reject(new Error(`exited ${String(code)}`)))
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
      const client = new MultiServerMCPClient({ mcpServers: { k8s: { transport: "http", url } } })
      try {
        expect((await client.getTools()).length).toBe(READ_ONLY_TOOLS.length + NOT_READ_ONLY_TOOLS.length)
      } finally {
        await client.close()
      }
    } finally {
      child.kill("SIGTERM")
    }
  })
})

import { createReactAgent } from "@langchain/langgraph/prebuilt"
import { MultiServerMCPClient } from "@langchain/mcp-adapters"
import { ChatOpenAI } from "@langchain/openai"
import { afterEach, describe, expect, it } from "vitest"
import { z } from "zod"
import {
  autoAgent,
  NOT_READ_ONLY_TOOLS,
  offeredToolNames,
  startMockLlm,
  startTestMcpHttpServer,
  testMcpStdioServerConfig,
  toolResults,
  toolRounds,
  type MockLlm,
  type TestMcpHttpServer
} from "../src/index.js"

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const isReadOnly = (tool: { readonly metadata?: Record<string, unknown> | undefined }): boolean => {
  const annotations: unknown = tool.metadata?.["annotations"]
  return typeof annotations === "object" && annotations !== null && "readOnlyHint" in annotations
    ? annotations.readOnlyHint === true
    : false
}

const runAgent = async (
  llm: MockLlm,
  mcp: MultiServerMCPClient,
  rounds: number
): Promise<{ messages: { getType(): string }[] }> => {
  const all = await mcp.getTools()
  const tools = all.filter(isReadOnly)
  expect(tools.map((t) => t.name)).not.toContain("pods_delete")
  expect(all.length - tools.length).toBe(NOT_READ_ONLY_TOOLS.length)
  const model = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "test",
    maxRetries: 0,
    configuration: { baseURL: llm.url }
  })
  const agent = createReactAgent({ llm: model, tools })
  const result = await agent.invoke(
    { messages: [{ role: "user", content: "Why is web-1 in prod crashing?" }] },
    { recursionLimit: 4 * rounds + 5 }
  )
  expect(llm.chatRequests).toHaveLength(rounds + 1)
  const last = llm.chatRequests[rounds]
  expect(last && toolRounds(last)).toBe(rounds)
  for (const r of llm.chatRequests) {
    expect(offeredToolNames(r)).not.toContain("pods_delete")
    expect(offeredToolNames(r)).not.toContain("describe_thing")
  }
  return result
}

describe("auto-agent mode drives a LangGraph ReAct agent over MCP tools", () => {
  it("runs exactly n tool rounds with tools over stdio", async () => {
    const llm = await startMockLlm({ defaultReply: autoAgent({ toolRounds: 3 }) })
    cleanups.push(() => llm.close())
    const mcp = new MultiServerMCPClient({ mcpServers: { k8s: testMcpStdioServerConfig() } })
    cleanups.push(() => mcp.close())

    const result = await runAgent(llm, mcp, 3)
    const types = result.messages.map((m) => m.getType())
    expect(types).toEqual(["human", "ai", "tool", "ai", "tool", "ai", "tool", "ai"])
    const last = llm.chatRequests[3]
    expect(last && toolResults(last).map((t) => t.content)[0]).toContain("Pod default/default")
  })

  it("runs exactly n tool rounds with tools over streamable HTTP, in parallel, with a final structured answer", async () => {
    const llm = await startMockLlm({ defaultReply: autoAgent({ toolRounds: 2, callsPerRound: 2 }), latencyMs: 5 })
    cleanups.push(() => llm.close())
    const server: TestMcpHttpServer = await startTestMcpHttpServer()
    cleanups.push(() => server.close())
    const mcp = new MultiServerMCPClient({ mcpServers: { k8s: { transport: "http", url: server.url } } })
    cleanups.push(() => mcp.close())

    const result = await runAgent(llm, mcp, 2)
    expect(result.messages.filter((m) => m.getType() === "tool")).toHaveLength(4)
    expect(server.calls.map((c) => c.tool).sort()).toEqual(["get_logs", "get_pod_status", "list_events", "slow_tool"])
    expect(server.calls.some((c) => (NOT_READ_ONLY_TOOLS as readonly string[]).includes(c.tool))).toBe(false)

    // createReactAgent with responseFormat makes one extra json_schema call after the loop.
    llm.reset()
    const tools = (await mcp.getTools()).filter(isReadOnly)
    const model = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "t",
      maxRetries: 0,
      configuration: { baseURL: llm.url }
    })
    const Answer = z.object({ rootCause: z.string(), confidence: z.number() })
    const agent = createReactAgent({ llm: model, tools, responseFormat: Answer })
    const structured = await agent.invoke({ messages: [{ role: "user", content: "diagnose" }] })
    expect(structured.structuredResponse).toEqual({ rootCause: "default", confidence: 1 })
    expect(llm.chatRequests).toHaveLength(4)
  })
})

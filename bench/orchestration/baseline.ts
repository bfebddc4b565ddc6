/**
 * The baseline of the orchestration benchmark: the same LangGraph ReAct agent (`createReactAgent` from
 * `@langchain/langgraph/prebuilt`) with the same ChatOpenAI client, prompts and MCP tools (the test MCP server over
 * stdio through `@langchain/mcp-adapters`, read-only tools only), driven by a bare script — no HTTP server, store,
 * Effect or logging. Each investigation makes the same model calls as the orchestrator's agent: an entity
 * extraction (structured), the ReAct loop, a structured conclusion.
 *
 * Run as a child process by bench/orchestration/run.mjs:
 *   node --import tsx bench/orchestration/baseline.ts --llm <url/v1> --n 50
 * After loading the tools it prints `ready`, waits for one line on stdin, runs N investigations concurrently and
 * prints one JSON line `{ startedAt, finishedAt, makespanMs, perInvestigation: [{ startedAt, finishedAt }], ... }`.
 */
import { HumanMessage, SystemMessage } from "@langchain/core/messages"
import { createReactAgent } from "@langchain/langgraph/prebuilt"
import { MultiServerMCPClient } from "@langchain/mcp-adapters"
import { ChatOpenAI } from "@langchain/openai"
import { once } from "node:events"
import { dirname, join, resolve } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")
const argv = process.argv.slice(2)
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback
}
const llmUrl = arg("llm", "http://127.0.0.1:8000/v1")
const n = Number(arg("n", "1"))

// The orchestrator's prompts when available (same text), else stand-ins of similar length.
const prompts = (await import(join(root, "packages/server/src/agent/prompts.ts")).catch(() => ({}))) as Record<
  string,
  unknown
>
const SYSTEM =
  typeof prompts["SRE_SYSTEM_PROMPT"] === "string"
    ? prompts["SRE_SYSTEM_PROMPT"]
    : "You are a senior SRE investigating a Kubernetes incident."
const ENTITY =
  typeof prompts["ENTITY_INSTRUCTIONS"] === "string"
    ? prompts["ENTITY_INSTRUCTIONS"]
    : "Extract the Kubernetes entities named in the incident description."
const CONCLUSION =
  typeof prompts["CONCLUSION_INSTRUCTIONS"] === "string"
    ? prompts["CONCLUSION_INSTRUCTIONS"]
    : "Write the conclusion of the investigation as JSON."

const entitySchema = {
  type: "object",
  properties: Object.fromEntries(
    ["pod", "namespace", "deployment", "service", "node", "container", "alertname"].map((f) => [
      f,
      { type: ["string", "null"] }
    ])
  ),
  required: [],
  additionalProperties: false
}
const conclusionSchema = {
  type: "object",
  properties: {
    suggested_root_cause: { type: "string" },
    confidence_score: { type: "string", enum: ["high", "medium", "low"] },
    supporting_evidence: { type: "array", items: { type: "string" } },
    recommended_next_steps: { type: "array", items: { type: "string" } }
  },
  required: ["suggested_root_cause", "confidence_score", "supporting_evidence", "recommended_next_steps"],
  additionalProperties: false
}

const mcp = new MultiServerMCPClient({
  mcpServers: {
    test: {
      transport: "stdio",
      command: process.execPath,
      args: ["--import", "tsx", join(root, "packages/testkit/src/test-mcp-server-main.ts"), "--transport", "stdio"],
      cwd: root
    }
  }
})
const allTools = await mcp.getTools()
// the orchestrator's policy on these tools: only read-only ones are offered
const tools = allTools.filter((t) => {
  const a = (t.metadata as { annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean } } | undefined)
    ?.annotations
  return a?.readOnlyHint === true && a.destructiveHint !== true
})
const model = new ChatOpenAI({
  model: "mock",
  apiKey: "x",
  maxRetries: 0,
  temperature: 0,
  configuration: { baseURL: llmUrl }
})
const agent = createReactAgent({ llm: model, tools, prompt: SYSTEM })
const entities = model.withStructuredOutput(entitySchema, { method: "jsonSchema", name: "entities" })
const conclude = model.withStructuredOutput(conclusionSchema, { method: "jsonSchema", name: "conclusion" })

/** Time inside tool calls, from LangChain's callbacks (start/end per run id). */
let toolMs = 0
let toolCalls = 0
const toolStarts = new Map<string, number>()
const toolTimer = {
  handleToolStart: (_tool: unknown, _input: string, runId: string) => void toolStarts.set(runId, performance.now()),
  handleToolEnd: (_output: unknown, runId: string) => {
    const t = toolStarts.get(runId)
    if (t !== undefined) {
      toolMs += performance.now() - t
      toolCalls += 1
      toolStarts.delete(runId)
    }
  },
  handleToolError: (_err: unknown, runId: string) => toolTimer.handleToolEnd(undefined, runId)
}

const investigate = async (i: number) => {
  const startedAt = Date.now()
  const description = `bench incident ${i}: pod web-${i} is crash-looping in namespace shop`
  await entities.invoke([new HumanMessage(`${ENTITY}\n\n<description>${description}</description>`)])
  const result = await agent.invoke(
    { messages: [new HumanMessage(description)] },
    { recursionLimit: 40, callbacks: [toolTimer] }
  )
  await conclude.invoke([new SystemMessage(SYSTEM), ...result.messages, new HumanMessage(CONCLUSION)])
  return { startedAt, finishedAt: Date.now(), messages: result.messages.length }
}

// warm-up: one investigation (JIT, connections), not measured
await investigate(-1)
toolMs = 0
toolCalls = 0
process.stdout.write(`ready ${tools.length} tools\n`)
const rl = createInterface({ input: process.stdin })
await once(rl, "line")
rl.close()
const startedAt = Date.now()
const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => investigate(i)))
const finishedAt = Date.now()
const ok = settled.filter(
  (s): s is PromiseFulfilledResult<Awaited<ReturnType<typeof investigate>>> => s.status === "fulfilled"
)
const failed = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected")
process.stdout.write(
  JSON.stringify({
    startedAt,
    finishedAt,
    makespanMs: finishedAt - startedAt,
    completed: ok.length,
    failed: failed.length,
    firstError: failed[0] !== undefined ? String(failed[0].reason).slice(0, 300) : undefined,
    perInvestigation: ok.map((s) => s.value),
    toolMs,
    toolCalls,
    tools: tools.map((t) => t.name)
  }) + "\n"
)
await mcp.close()
process.exit(0)

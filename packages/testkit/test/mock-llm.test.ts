import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { AIMessage, type AIMessageChunk, HumanMessage, ToolMessage, type UsageMetadata } from "@langchain/core/messages"
import { ChatOpenAI } from "@langchain/openai"
import { it as effectIt } from "@effect/vitest"
import { Effect } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import { z } from "zod"
import {
  autoAgent,
  lastUserText,
  MockLlm,
  mockLlmOptionsFromArgs,
  mockLlmRemote,
  offeredToolNames,
  startMockLlm,
  toolResults,
  toolRounds,
  type MockLlmOptions,
  type MockLlm as MockLlmServer
} from "../src/index.js"

const open: MockLlmServer[] = []
const start = async (options: MockLlmOptions = {}): Promise<MockLlmServer> => {
  const llm = await startMockLlm(options)
  open.push(llm)
  return llm
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()))
})

const chat = (llm: MockLlmServer): ChatOpenAI =>
  new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "sk-secret-value",
    maxRetries: 0,
    configuration: { baseURL: llm.url }
  })

const podTool = {
  type: "function" as const,
  function: {
    name: "get_pod_status",
    description: "Get a pod's status",
    parameters: {
      type: "object",
      properties: { namespace: { type: "string" }, name: { type: "string" } },
      required: ["namespace", "name"]
    }
  }
}
const deleteTool = {
  type: "function" as const,
  function: {
    name: "pods_delete",
    description: "Delete a pod",
    parameters: { type: "object", properties: { name: { type: "string" } }, required: ["name"] }
  }
}

const Diagnosis = z.object({
  summary: z.string(),
  severity: z.enum(["low", "medium", "high"]),
  affectedPods: z.number().int()
})

/** `usage_metadata` of a message (its declared type is too narrow to read directly on some results). */
const usageOf = (message: { readonly usage_metadata?: unknown }): UsageMetadata | undefined =>
  message.usage_metadata as UsageMetadata | undefined

const collect = async (stream: AsyncIterable<AIMessageChunk>): Promise<AIMessageChunk> => {
  let acc: AIMessageChunk | undefined
  for await (const c of stream) acc = acc === undefined ? c : acc.concat(c)
  if (acc === undefined) throw new Error("empty stream")
  return acc
}

const postChat = (llm: MockLlmServer, body: Record<string, unknown>): Promise<Response> =>
  fetch(`${llm.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], ...body })
  })

describe("mock LLM with ChatOpenAI", () => {
  it("answers scripted text, then falls back to echo, with usage and a redacted Authorization header", async () => {
    const llm = await start({ script: [{ content: "The pod is OOMKilled." }] })
    const model = chat(llm)
    const first = await model.invoke("why is web-1 crashing?")
    expect(first.content).toBe("The pod is OOMKilled.")
    const usage = usageOf(first)
    expect(usage?.input_tokens).toBeGreaterThan(0)
    expect(usage?.total_tokens).toBe((usage?.input_tokens ?? 0) + (usage?.output_tokens ?? 0))
    const second = await model.invoke("ping")
    expect(second.content).toBe("echo: ping")

    expect(llm.chatRequests).toHaveLength(2)
    const [r1] = llm.chatRequests
    expect(r1?.path).toBe("/v1/chat/completions")
    expect(r1?.headers["authorization"]).toBe("REDACTED")
    expect(JSON.stringify(llm.requests)).not.toContain("sk-secret-value")
    expect(r1 && lastUserText(r1)).toBe("why is web-1 crashing?")
    expect(r1?.replyKind).toBe("content")
    expect(r1?.aborted).toBe(false)
    expect(r1?.finishedAt).toBeGreaterThanOrEqual(r1?.receivedAt ?? Infinity)
  })

  it("returns tool calls and records the tool result sent back", async () => {
    const llm = await start({
      script: [
        { toolCalls: [{ name: "get_pod_status", arguments: { namespace: "prod", name: "web-1" }, id: "call_a" }] },
        { content: "web-1 is fine" }
      ]
    })
    const model = chat(llm).bindTools([podTool])
    const ai = await model.invoke([new HumanMessage("check web-1")])
    expect(ai.tool_calls).toEqual([
      { name: "get_pod_status", args: { namespace: "prod", name: "web-1" }, id: "call_a", type: "tool_call" }
    ])
    expect(ai.response_metadata["finish_reason"]).toBe("tool_calls")
    const final = await model.invoke([
      new HumanMessage("check web-1"),
      ai,
      new ToolMessage({ content: "Running 1/1", tool_call_id: "call_a" })
    ])
    expect(final.content).toBe("web-1 is fine")

    const [first, second] = llm.chatRequests
    expect(first && offeredToolNames(first)).toEqual(["get_pod_status"])
    expect(second && toolRounds(second)).toBe(1)
    expect(second && toolResults(second)).toEqual([{ toolCallId: "call_a", content: "Running 1/1" }])
  })

  it("streams text and tool-call deltas with a final usage chunk", async () => {
    const llm = await start({
      script: [
        { content: "Three words here" },
        {
          content: "Checking.",
          toolCalls: [
            { name: "get_pod_status", arguments: { namespace: "prod", name: "a-rather-long-pod-name-0" } },
            { name: "get_pod_status", arguments: { namespace: "prod", name: "b" } }
          ]
        }
      ]
    })
    const model = chat(llm)
    const chunks: string[] = []
    let acc: AIMessageChunk | undefined
    for await (const c of await model.stream("say three words")) {
      if (typeof c.content === "string" && c.content.length > 0) chunks.push(c.content)
      acc = acc === undefined ? c : acc.concat(c)
    }
    expect(chunks.length).toBeGreaterThan(1)
    expect(chunks.join("")).toBe("Three words here")
    expect(acc && usageOf(acc)?.output_tokens).toBeGreaterThan(0)
    expect(llm.chatRequests[0]?.chat?.stream).toBe(true)
    expect(llm.chatRequests[0]?.chat?.stream_options?.include_usage).toBe(true)

    const withTools = await collect(await chat(llm).bindTools([podTool]).stream("check"))
    expect(withTools.content).toBe("Checking.")
    expect(withTools.tool_calls?.map((c) => c.args)).toEqual([
      { namespace: "prod", name: "a-rather-long-pod-name-0" },
      { namespace: "prod", name: "b" }
    ])
    expect(withTools.tool_calls?.every((c) => typeof c.id === "string" && c.id.length > 0)).toBe(true)
  })

  it("emits OpenAI's exact SSE framing", async () => {
    const llm = await start({ script: [{ toolCalls: [{ name: "f", arguments: { a: "x" }, id: "call_1" }] }] })
    const res = await postChat(llm, { stream: true, stream_options: { include_usage: true } })
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    const events = (await res.text()).split("\n\n").filter((e) => e.length > 0)
    expect(events.at(-1)).toBe("data: [DONE]")
    const parsed = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, "")) as Record<string, unknown>)
    expect(parsed.every((p) => p["object"] === "chat.completion.chunk" && p["id"] === parsed[0]?.["id"])).toBe(true)
    expect(parsed[0]).toMatchObject({ choices: [{ index: 0, delta: { role: "assistant" }, finish_reason: null }] })
    expect(parsed[1]).toMatchObject({
      choices: [
        {
          delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] }
        }
      ]
    })
    const last = parsed.at(-1)
    expect(last?.["choices"]).toEqual([])
    expect(last?.["usage"]).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) })
    expect(parsed.at(-2)).toMatchObject({ choices: [{ delta: {}, finish_reason: "tool_calls" }], usage: null })
  })

  it("supports withStructuredOutput with jsonSchema and functionCalling from one { json } reply", async () => {
    const answer = { summary: "OOM", severity: "high", affectedPods: 3 }
    const llm = await start({ script: [{ json: answer }, () => ({ delayMs: 5, then: { json: answer } })] })
    const viaSchema = await chat(llm).withStructuredOutput(Diagnosis, { method: "jsonSchema" }).invoke("diagnose")
    const viaTools = await chat(llm).withStructuredOutput(Diagnosis, { method: "functionCalling" }).invoke("diagnose")
    expect(viaSchema).toEqual(answer)
    expect(viaTools).toEqual(answer)
    expect(llm.chatRequests[0]?.chat?.response_format).toMatchObject({ type: "json_schema" })
    expect(llm.chatRequests[1]?.chat?.tool_choice).toMatchObject({ type: "function" })
    expect(llm.chatRequests.map((r) => r.replyKind)).toEqual(["json", "json"])
  })

  it("auto-agent answers structured output from the schema with both methods", async () => {
    const llm = await start({ defaultReply: autoAgent({ toolRounds: 2 }) })
    const expected = { summary: "default", severity: "low", affectedPods: 1 }
    expect(await chat(llm).withStructuredOutput(Diagnosis, { method: "jsonSchema" }).invoke("x")).toEqual(expected)
    expect(await chat(llm).withStructuredOutput(Diagnosis, { method: "functionCalling" }).invoke("x")).toEqual(expected)
  })

  it("auto-agent calls offered tools round-robin, avoids listed tools, then answers", async () => {
    const llm = await start({ defaultReply: autoAgent({ toolRounds: 2, avoidTools: ["pods_delete"] }) })
    const model = chat(llm).bindTools([deleteTool, podTool])
    const r1 = await model.invoke([new HumanMessage("go")])
    expect(r1.tool_calls?.[0]).toMatchObject({
      name: "get_pod_status",
      args: { namespace: "default", name: "default" }
    })
    const history = [
      new HumanMessage("go"),
      r1,
      new ToolMessage({ content: "ok", tool_call_id: r1.tool_calls?.[0]?.id ?? "" })
    ]
    const r2 = await model.invoke(history)
    expect(r2.tool_calls).toHaveLength(1)
    const r3 = await model.invoke([
      ...history,
      r2,
      new ToolMessage({ content: "ok", tool_call_id: r2.tool_calls?.[0]?.id ?? "" })
    ])
    expect(r3.tool_calls ?? []).toHaveLength(0)
    expect(r3.content).toBe("Auto agent final answer after 2 tool rounds.")
  })

  it("auto-agent calls structured-output tools (extract-N) last and honours tool_choice required/none", async () => {
    const llm = await start({ defaultReply: autoAgent({ toolRounds: 1 }) })
    const extract = {
      type: "function",
      function: {
        name: "extract-1",
        parameters: { type: "object", properties: { cause: { type: "string" } }, required: ["cause"] }
      }
    }
    type Completion = {
      choices: {
        message: { content: string | null; tool_calls?: { function: { name: string; arguments: string } }[] }
      }[]
    }
    const ask = async (body: Record<string, unknown>): Promise<Completion["choices"][number]["message"] | undefined> =>
      ((await (await postChat(llm, body)).json()) as Completion).choices[0]?.message
    const afterOneRound = [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "get_pod_status", arguments: "{}" } }]
      },
      { role: "tool", tool_call_id: "c1", content: "ok" }
    ]
    const first = await ask({ tools: [extract, podTool], tool_choice: "required" })
    expect(first?.tool_calls?.map((c) => c.function.name)).toEqual(["get_pod_status"])
    const second = await ask({ tools: [extract, podTool], tool_choice: "required", messages: afterOneRound })
    expect(second?.tool_calls?.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ["extract-1", { cause: "default" }]
    ])
    const required = await ask({ tools: [podTool], tool_choice: "required", messages: afterOneRound })
    expect(required?.tool_calls?.map((c) => c.function.name)).toEqual(["get_pod_status"])
    const none = await ask({ tools: [podTool], tool_choice: "none" })
    expect(none?.content).toBe("Auto agent final answer after 0 tool rounds.")
  })

  it("streams slowly with chunkDelayMs and stops when the client aborts mid-stream", async () => {
    const llm = await start({
      chunkDelayMs: 40,
      script: [{ content: "one two three four five six seven eight nine ten" }]
    })
    const controller = new AbortController()
    const received: string[] = []
    const consume = async (): Promise<void> => {
      for await (const c of await chat(llm).stream("x", { signal: controller.signal })) {
        if (typeof c.content === "string" && c.content.length > 0) received.push(c.content)
        if (received.length === 2) controller.abort()
      }
    }
    await expect(consume()).rejects.toThrow()
    expect(received.slice(0, 2)).toEqual(["one ", "two "])
    expect(received.length).toBeLessThan(10) // the rest of the stream was never sent
    await vi.waitFor(() => expect(llm.chatRequests[0]?.aborted).toBe(true))
    expect(llm.chatRequests[0]?.status).toBe(200)
  })

  it("fails with 429 carrying Retry-After, and with 500", async () => {
    const llm = await start({ script: [{ status: 429, retryAfterSeconds: 7 }, { status: 500 }, { status: 429 }] })
    const model = chat(llm)
    await expect(model.invoke("x")).rejects.toMatchObject({ status: 429 })
    await expect(model.invoke("x")).rejects.toMatchObject({ status: 500 })
    expect(llm.chatRequests.map((r) => r.status)).toEqual([429, 500])

    const raw = await postChat(llm, {})
    expect(raw.status).toBe(429)
    expect(raw.headers.get("retry-after")).toBeNull()
    expect(await raw.json()).toMatchObject({ error: { type: "requests", code: "rate_limit_exceeded" } })

    llm.enqueue(
      { status: 429, retryAfterSeconds: 3 },
      { status: 503, body: { error: { message: "custom" } } },
      { status: 401, body: "nope" }
    )
    const limited = await postChat(llm, {})
    expect(limited.headers.get("retry-after")).toBe("3")
    expect(await (await postChat(llm, {})).json()).toEqual({ error: { message: "custom" } })
    expect(await (await postChat(llm, {})).text()).toBe("nope")
  })

  it("recovers through ChatOpenAI's own retry after a 429 (maxRetries: 1)", async () => {
    const llm = await start({ script: [{ status: 429, retryAfterSeconds: 0 }, { content: "after retry" }] })
    const model = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "k",
      maxRetries: 1,
      configuration: { baseURL: llm.url }
    })
    expect((await model.invoke("x")).content).toBe("after retry")
    expect(llm.chatRequests.map((r) => r.status)).toEqual([429, 200])
  })

  it("produces client errors for malformed bodies and connection resets", async () => {
    const llm = await start({ script: [{ malformed: true }, { reset: true }, { malformed: true }] })
    const model = chat(llm)
    await expect(model.invoke("x")).rejects.toThrow()
    await expect(model.invoke("x")).rejects.toThrow()
    await expect((async () => collect(await model.stream("x")))()).rejects.toThrow(/JSON/)
    expect(llm.chatRequests.map((r) => r.replyKind)).toEqual(["malformed", "reset", "malformed"])
    expect(llm.chatRequests[1]?.aborted).toBe(false)
  })

  it("records a hung request as aborted when the client aborts", async () => {
    const llm = await start({ script: [{ hang: true }] })
    const controller = new AbortController()
    const pending = chat(llm).invoke("x", { signal: controller.signal })
    await llm.waitForRequests(1)
    expect(llm.inFlight).toBe(1)
    controller.abort()
    await expect(pending).rejects.toThrow()
    await vi.waitFor(() => expect(llm.chatRequests[0]?.aborted).toBe(true))
    expect(llm.inFlight).toBe(0)
    expect(llm.chatRequests[0]?.status).toBeUndefined()
  })

  it("closes promptly with a hung request in flight", async () => {
    const llm = await startMockLlm({ defaultReply: { hang: true } })
    const pending = chat(llm).invoke("x")
    await llm.waitForRequests(1)
    const t0 = Date.now()
    await llm.close()
    await llm.close()
    expect(Date.now() - t0).toBeLessThan(1_000)
    await expect(pending).rejects.toThrow()
    expect(llm.chatRequests[0]?.aborted).toBe(true)
    expect(llm.inFlight).toBe(0)
  })

  it("stops a delayed reply when the client aborts, and delays otherwise", async () => {
    const llm = await start({
      latencyMs: 30,
      script: [
        { delayMs: 10_000, then: { content: "late" } },
        { delayMs: 20, then: { content: "soon" } }
      ]
    })
    const t0 = Date.now()
    await expect(chat(llm).invoke("x", { signal: AbortSignal.timeout(150) })).rejects.toThrow()
    expect(Date.now() - t0).toBeLessThan(5_000)
    await vi.waitFor(() => expect(llm.chatRequests[0]?.aborted).toBe(true))
    expect(llm.chatRequests[0]?.replyKind).toBeUndefined()
    const t1 = Date.now()
    expect((await chat(llm).invoke("x")).content).toBe("soon")
    expect(Date.now() - t1).toBeGreaterThanOrEqual(45)
  })

  it("supports reply functions and counts concurrent requests", async () => {
    const llm = await start({
      latencyMs: 100,
      defaultReply: (req) => ({ content: `you said ${lastUserText(req)} with ${offeredToolNames(req).length} tools` })
    })
    const model = chat(llm)
    const answers = await Promise.all([1, 2, 3, 4].map((i) => model.invoke(`n${i}`)))
    expect(answers.map((a) => a.content)).toEqual([1, 2, 3, 4].map((i) => `you said n${i} with 0 tools`))
    expect(llm.maxInFlight).toBe(4)
    expect(llm.inFlight).toBe(0)
    llm.reset()
    expect(llm.requests).toHaveLength(0)
    expect(llm.maxInFlight).toBe(0)
  })

  it("serves /v1/models and rejects unknown routes and bad bodies", async () => {
    const llm = await start({ model: "my-model" })
    const models = (await (await fetch(`${llm.url}/models`)).json()) as { data: { id: string }[] }
    expect(models.data.map((m) => m.id)).toEqual(["my-model"])
    expect((await fetch(`${llm.origin}/v1/embeddings`, { method: "POST", body: "{}" })).status).toBe(404)
    const bad = await fetch(`${llm.url}/chat/completions`, { method: "POST", body: "{not json" })
    expect(bad.status).toBe(400)
    expect(llm.requests.map((r) => r.status)).toEqual([200, 404, 400])
  })
})

describe("mock LLM control endpoints", () => {
  it("scripts replies, sets the default, lists and resets requests over HTTP", async () => {
    const llm = await start()
    const remote = mockLlmRemote(llm.url)
    await remote.enqueue(
      { content: "one" },
      { toolCalls: [{ name: "get_pod_status", arguments: { namespace: "a", name: "b" } }] }
    )
    await remote.setDefault({ echo: true, prefix: ">> " })
    const model = chat(llm).bindTools([podTool])
    expect((await model.invoke("x")).content).toBe("one")
    expect((await model.invoke("x")).tool_calls?.[0]?.name).toBe("get_pod_status")
    expect((await model.invoke("hello")).content).toBe(">> hello")
    const snapshot = await remote.requests()
    expect(snapshot.requests).toHaveLength(3)
    expect(snapshot.requests[0]?.headers["authorization"]).toBe("REDACTED")
    expect(snapshot.queued).toBe(0)
    await remote.reset()
    expect(llm.requests).toHaveLength(0)
    expect((await model.invoke("hello")).content).toBe("echo: hello")

    const invalid = await fetch(`${llm.origin}/_mock/script`, {
      method: "POST",
      body: JSON.stringify([{ status: 418 }])
    })
    expect(invalid.status).toBe(400)
    await expect(remote.setDefault({ bogus: true } as never)).rejects.toThrow(/400/)
  })

  it("parses CLI arguments", () => {
    expect(mockLlmOptionsFromArgs([])).toEqual({ defaultReply: { echo: true, prefix: "echo: " } })
    expect(
      mockLlmOptionsFromArgs([
        "--port",
        "0",
        "--auto-rounds",
        "5",
        "--latency-ms",
        "200",
        "--chunk-delay-ms",
        "3",
        "--model",
        "m"
      ])
    ).toEqual({ port: 0, latencyMs: 200, chunkDelayMs: 3, model: "m", defaultReply: { autoAgent: { toolRounds: 5 } } })
    expect(() => mockLlmOptionsFromArgs(["--latency-ms=-1"])).toThrow(/non-negative integer/)
    expect(() => mockLlmOptionsFromArgs(["--bogus"])).toThrow()
  })

  it("runs as a CLI that prints its URL", async () => {
    const main = fileURLToPath(new URL("../src/mock-llm-main.ts", import.meta.url))
    const child = spawn(process.execPath, ["--import", "tsx", main, "--port", "0", "--auto-rounds", "1"], {
      stdio: ["ignore", "pipe", "inherit"]
    })
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
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
      const model = new ChatOpenAI({ model: "m", apiKey: "k", maxRetries: 0, configuration: { baseURL: url } })
      const ai = await model.bindTools([podTool]).invoke("go")
      expect(ai.tool_calls?.[0]?.name).toBe("get_pod_status")
      const final = await model.invoke([new HumanMessage("go"), new AIMessage({ content: "", tool_calls: [] })])
      expect(final.content).toBe("Auto agent final answer after 0 tool rounds.")
      expect((await mockLlmRemote(url).requests()).requests).toHaveLength(2)
    } finally {
      child.kill("SIGTERM")
    }
  })
})

describe("MockLlm.scoped", () => {
  let closedUrl = ""
  effectIt.scoped("starts for the scope", () =>
    Effect.gen(function* () {
      const llm = yield* MockLlm.scoped({ script: [{ content: "scoped" }] })
      closedUrl = llm.url
      const answer = yield* Effect.promise(() => chat(llm).invoke("x"))
      expect(answer.content).toBe("scoped")
    })
  )
  it("closed it on scope exit", async () => {
    expect(closedUrl).not.toBe("")
    await expect(fetch(`${closedUrl}/models`)).rejects.toThrow()
  })
})

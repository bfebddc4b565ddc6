/**
 * The MCP tools as the LLM sees them: unique OpenAI-style names (`server__tool`), JSON-schema parameters, and
 * readable evidence keys for each call.
 */
import { Option, Schema } from "effect"
import type { LlmToolDefinition } from "../llm/LlmClient.js"
import type { McpTool } from "../mcp/McpToolManager.js"

/** A tool offered to the model, with the MCP tool behind it. */
export interface OfferedTool {
  /** The name the model uses (`server__tool`, `[a-zA-Z0-9_-]`, at most 64 characters, unique). */
  readonly name: string
  readonly tool: McpTool
  readonly definition: LlmToolDefinition
}

const JsonObjectSchema = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** The parameters schema of a tool: its JSON schema when it is an object schema, else an empty object schema. */
export const parametersOf = (inputSchema: unknown): Readonly<Record<string, unknown>> => {
  const decoded = Schema.decodeUnknownOption(JsonObjectSchema)(inputSchema)
  if (Option.isSome(decoded) && decoded.value["type"] === "object") {
    return { ...decoded.value, properties: decoded.value["properties"] ?? {} }
  }
  return { type: "object", properties: {} }
}

const sanitise = (text: string): string => text.replace(/[^a-zA-Z0-9_-]/g, "_")

/** Builds the offered tools: `server__tool` names, made unique and at most 64 characters. */
export const offerTools = (tools: ReadonlyArray<McpTool>): ReadonlyArray<OfferedTool> => {
  const used = new Set<string>()
  return tools.map((tool) => {
    const base = `${sanitise(tool.server)}__${sanitise(tool.name)}`.slice(0, 60)
    let name = base
    for (let i = 2; used.has(name); i++) name = `${base.slice(0, 57)}_${i}`
    used.add(name)
    return {
      name,
      tool,
      definition: {
        type: "function",
        function: {
          name,
          description: `[${tool.server}] ${tool.description}`.slice(0, 1024),
          parameters: parametersOf(tool.inputSchema)
        }
      }
    }
  })
}

/** JSON with object keys sorted (stable evidence keys). */
export const stableJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    const decoded = Schema.decodeUnknownOption(JsonObjectSchema)(v)
    return Option.isSome(decoded) && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(decoded.value).sort(([a], [b]) => a.localeCompare(b)))
      : v
  }) ?? "null"

/**
 * The evidence key of the n-th tool call: `server/tool#n {"arg":"value"}` (arguments as sorted JSON, cut to 200
 * characters), e.g. `k8s/get_logs#3 {"namespace":"shop","pod":"web-1","previous":true}`.
 */
export const evidenceKeyFor = (
  server: string,
  tool: string,
  n: number,
  args: Readonly<Record<string, unknown>>
): string => {
  const json = stableJson(args)
  return `${server}/${tool}#${n} ${json.length > 200 ? `${json.slice(0, 199)}…` : json}`
}

/**
 * A tiny, deterministic "plausible value" generator for JSON Schema, used by the mock LLM's auto-agent mode to
 * produce tool-call arguments and structured-output answers that validate against the schema it was offered.
 *
 * It covers what tool and structured-output schemas generated from zod actually use: `type` (also as an array),
 * `properties`/`required`, `items`/`minItems`, `enum`, `const`, `default`, `anyOf`/`oneOf`/`allOf`, local `$ref`s
 * (`#/$defs/...`, `#/definitions/...`), `minimum`/`maximum`, `minLength`/`maxLength`, and common string `format`s.
 *
 * @module
 */

/** A JSON value as produced by {@link sampleFromJsonSchema}. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

type SchemaObject = Record<string, unknown>

/** Options for {@link sampleFromJsonSchema}. */
export interface SampleOptions {
  /** Fill optional (non-`required`) object properties too. Default `false`: only required ones are filled. */
  readonly includeOptional?: boolean
  /** Value used for plain strings. Default `"default"`. */
  readonly stringValue?: string
}

const isObject = (value: unknown): value is SchemaObject =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const toJsonValue = (value: unknown): JsonValue => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value
  if (typeof value === "number") return Number.isFinite(value) ? value : 0
  if (Array.isArray(value)) return value.map(toJsonValue)
  if (isObject(value)) {
    const out: { [key: string]: JsonValue } = {}
    for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v)
    return out
  }
  return null
}

const resolveRef = (root: SchemaObject, ref: string): unknown => {
  if (!ref.startsWith("#")) return {}
  const parts = ref
    .slice(1)
    .split("/")
    .filter((p) => p.length > 0)
    .map((p) => decodeURIComponent(p.replace(/~1/g, "/").replace(/~0/g, "~")))
  let node: unknown = root
  for (const part of parts) {
    if (!isObject(node)) return {}
    node = node[part]
  }
  return node ?? {}
}

const formatSample = (format: string): string | undefined => {
  switch (format) {
    case "date-time":
      return "2024-01-01T00:00:00.000Z"
    case "date":
      return "2024-01-01"
    case "time":
      return "00:00:00"
    case "email":
      return "user@example.com"
    case "uri":
    case "url":
      return "https://example.com"
    case "uuid":
      return "00000000-0000-4000-8000-000000000000"
    case "ipv4":
      return "127.0.0.1"
    default:
      return undefined
  }
}

const numberSample = (schema: SchemaObject, integer: boolean): number => {
  let value = 1
  const min = typeof schema["minimum"] === "number" ? schema["minimum"] : undefined
  const exMin = typeof schema["exclusiveMinimum"] === "number" ? schema["exclusiveMinimum"] : undefined
  const max = typeof schema["maximum"] === "number" ? schema["maximum"] : undefined
  const exMax = typeof schema["exclusiveMaximum"] === "number" ? schema["exclusiveMaximum"] : undefined
  if (min !== undefined && value < min) value = min
  if (exMin !== undefined && value <= exMin) value = integer ? Math.floor(exMin) + 1 : exMin + 1
  if (max !== undefined && value > max) value = max
  if (exMax !== undefined && value >= exMax) value = integer ? Math.ceil(exMax) - 1 : exMax - 1
  return integer ? Math.round(value) : value
}

const stringSample = (schema: SchemaObject, options: SampleOptions): string => {
  const fromFormat = typeof schema["format"] === "string" ? formatSample(schema["format"]) : undefined
  let value = fromFormat ?? options.stringValue ?? "default"
  const minLength = typeof schema["minLength"] === "number" ? schema["minLength"] : 0
  const maxLength = typeof schema["maxLength"] === "number" ? schema["maxLength"] : undefined
  if (value.length < minLength) value = value.padEnd(minLength, "x")
  if (maxLength !== undefined && value.length > maxLength) value = value.slice(0, maxLength)
  return value
}

const sample = (schema: unknown, root: SchemaObject, options: SampleOptions, depth: number): JsonValue => {
  if (depth > 32 || !isObject(schema)) return null
  if (typeof schema["$ref"] === "string") return sample(resolveRef(root, schema["$ref"]), root, options, depth + 1)
  if ("const" in schema) return toJsonValue(schema["const"])
  const enumValues = schema["enum"]
  if (Array.isArray(enumValues) && enumValues.length > 0) return toJsonValue(enumValues[0])
  if ("default" in schema && schema["default"] !== undefined) return toJsonValue(schema["default"])

  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = schema[key]
    if (Array.isArray(branches) && branches.length > 0) {
      const nonNull = branches.find((b) => !(isObject(b) && b["type"] === "null"))
      return sample(nonNull ?? branches[0], root, options, depth + 1)
    }
  }
  const allOf = schema["allOf"]
  if (Array.isArray(allOf) && allOf.length > 0) {
    const merged: SchemaObject = {}
    for (const part of allOf) {
      const resolved = isObject(part) && typeof part["$ref"] === "string" ? resolveRef(root, part["$ref"]) : part
      if (!isObject(resolved)) continue
      const props = { ...(isObject(merged["properties"]) ? merged["properties"] : {}) }
      Object.assign(props, isObject(resolved["properties"]) ? resolved["properties"] : {})
      const required = [
        ...(Array.isArray(merged["required"]) ? merged["required"] : []),
        ...(Array.isArray(resolved["required"]) ? resolved["required"] : [])
      ]
      Object.assign(merged, resolved, { properties: props, required })
    }
    return sample(merged, root, options, depth + 1)
  }

  let type = schema["type"]
  if (Array.isArray(type)) type = type.find((t) => t !== "null") ?? type[0]
  if (type === undefined) {
    if (isObject(schema["properties"])) type = "object"
    else if (schema["items"] !== undefined) type = "array"
  }

  switch (type) {
    case "string":
      return stringSample(schema, options)
    case "number":
      return numberSample(schema, false)
    case "integer":
      return numberSample(schema, true)
    case "boolean":
      return false
    case "null":
      return null
    case "array": {
      const minItems = typeof schema["minItems"] === "number" ? schema["minItems"] : 0
      const items = schema["items"]
      const prefix = schema["prefixItems"]
      if (Array.isArray(prefix)) return prefix.map((p) => sample(p, root, options, depth + 1))
      return Array.from({ length: minItems }, () => sample(items, root, options, depth + 1))
    }
    case "object": {
      const out: { [key: string]: JsonValue } = {}
      const properties = isObject(schema["properties"]) ? schema["properties"] : {}
      const required = new Set(
        Array.isArray(schema["required"]) ? schema["required"].filter((r): r is string => typeof r === "string") : []
      )
      for (const [name, propSchema] of Object.entries(properties)) {
        if (required.has(name) || options.includeOptional === true) {
          out[name] = sample(propSchema, root, options, depth + 1)
        }
      }
      return out
    }
    default:
      return null
  }
}

/**
 * Generates a deterministic, plausible value for a JSON Schema: required object properties are filled
 * (strings `"default"`, numbers `1` clamped to `minimum`/`maximum`, booleans `false`, enums their first value,
 * arrays `minItems` elements), optional ones omitted unless {@link SampleOptions.includeOptional} is set.
 *
 * @example
 * sampleFromJsonSchema({ type: "object", properties: { ns: { type: "string" }, n: { type: "integer" } }, required: ["ns", "n"] })
 * // => { ns: "default", n: 1 }
 */
export const sampleFromJsonSchema = (schema: unknown, options: SampleOptions = {}): JsonValue =>
  sample(schema, isObject(schema) ? schema : {}, options, 0)

/**
 * Access reviews. The sandbox is read-only: get/list/watch are allowed, every other verb is denied.
 * kubernetes-mcp-server sends SelfSubjectAccessReviews as protobuf (`application/vnd.kubernetes.protobuf`); the
 * envelope and the few fields needed are decoded here, with a byte scan for the verb as a fallback.
 */
import { isRecord, rec, str, type JsonRecord } from "./json.js"

/** Verbs that a read-only client may use. */
export const READ_VERBS: ReadonlySet<string> = new Set(["get", "list", "watch"])

const KNOWN_VERBS = [
  "deletecollection",
  "create",
  "update",
  "patch",
  "delete",
  "watch",
  "list",
  "get",
  "proxy",
  "impersonate",
  "escalate",
  "bind",
  "use",
  "approve",
  "sign"
]

type Fields = Map<number, Array<Uint8Array | number>>

/** Decodes one protobuf message into field number → values (length-delimited as bytes, varints as numbers). */
const decodeMessage = (bytes: Uint8Array): Fields | undefined => {
  const fields: Fields = new Map()
  let i = 0
  const varint = (): number | undefined => {
    let result = 0
    let shift = 0
    while (i < bytes.length) {
      const b = bytes[i] ?? 0
      i += 1
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
      if (shift > 63) return undefined
    }
    return undefined
  }
  while (i < bytes.length) {
    const key = varint()
    if (key === undefined) return undefined
    const field = Math.floor(key / 8)
    const wire = key % 8
    const push = (v: Uint8Array | number): void => {
      const list = fields.get(field) ?? []
      list.push(v)
      fields.set(field, list)
    }
    if (wire === 0) {
      const v = varint()
      if (v === undefined) return undefined
      push(v)
    } else if (wire === 2) {
      const len = varint()
      if (len === undefined || i + len > bytes.length) return undefined
      push(bytes.subarray(i, i + len))
      i += len
    } else if (wire === 1) i += 8
    else if (wire === 5) i += 4
    else return undefined
  }
  return fields
}

const bytesField = (fields: Fields | undefined, n: number): Uint8Array | undefined => {
  const v = fields?.get(n)?.[0]
  return v instanceof Uint8Array ? v : undefined
}

const stringField = (fields: Fields | undefined, n: number): string | undefined => {
  const b = bytesField(fields, n)
  return b === undefined ? undefined : Buffer.from(b).toString("utf8")
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00]

/** The access-review spec from a protobuf body (`k8s\0` + runtime.Unknown), or undefined when it does not decode. */
export const decodeProtobufReview = (body: Uint8Array): JsonRecord | undefined => {
  const hasMagic = MAGIC.every((b, i) => body[i] === b)
  const envelope = decodeMessage(hasMagic ? body.subarray(4) : body)
  const raw = bytesField(envelope, 2)
  if (raw === undefined) return undefined
  const review = decodeMessage(raw)
  const spec = decodeMessage(bytesField(review, 2) ?? new Uint8Array())
  const ra = bytesField(spec, 1)
  const nra = bytesField(spec, 2)
  if (ra !== undefined) {
    const f = decodeMessage(ra)
    const attrs: Record<string, string> = {}
    const names = ["", "namespace", "verb", "group", "version", "resource", "subresource", "name"]
    names.forEach((name, n) => {
      const v = n === 0 ? undefined : stringField(f, n)
      if (v !== undefined && v !== "") attrs[name] = v
    })
    return { resourceAttributes: attrs }
  }
  if (nra !== undefined) {
    const f = decodeMessage(nra)
    return { nonResourceAttributes: { path: stringField(f, 1) ?? "", verb: stringField(f, 2) ?? "" } }
  }
  return undefined
}

/** The first known verb found as a length-prefixed string in raw bytes (the fallback when decoding fails). */
export const scanVerb = (body: Uint8Array): string | undefined => {
  const buf = Buffer.from(body)
  for (const verb of KNOWN_VERBS) {
    const needle = Buffer.concat([Buffer.from([verb.length]), Buffer.from(verb)])
    if (buf.includes(needle)) return verb
  }
  return undefined
}

/** The review spec from a request body, JSON or protobuf. */
export const reviewSpec = (contentType: string, body: Uint8Array): JsonRecord => {
  if (contentType.includes("json")) {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(body).toString("utf8"))
      return isRecord(parsed) ? rec(parsed, "spec") : {}
    } catch {
      return {}
    }
  }
  const decoded = decodeProtobufReview(body)
  if (decoded !== undefined) return decoded
  const verb = scanVerb(body)
  return verb === undefined ? {} : { resourceAttributes: { verb } }
}

/** A SelfSubjectAccessReview (or SubjectAccessReview kind) answer: reads allowed, writes denied. */
export const accessReview = (kind: string, spec: JsonRecord): JsonRecord => {
  const verb = str(spec, "resourceAttributes.verb") ?? str(spec, "nonResourceAttributes.verb") ?? ""
  const allowed = READ_VERBS.has(verb)
  return {
    kind,
    apiVersion: "authorization.k8s.io/v1",
    metadata: { creationTimestamp: null },
    spec,
    status: allowed
      ? { allowed: true, reason: "the sandbox cluster allows read access" }
      : { allowed: false, reason: "the sandbox cluster is read-only" }
  }
}

/** A SelfSubjectRulesReview answer: read verbs on everything. */
export const rulesReview = (namespace: string): JsonRecord => ({
  kind: "SelfSubjectRulesReview",
  apiVersion: "authorization.k8s.io/v1",
  metadata: { creationTimestamp: null },
  spec: { namespace },
  status: {
    resourceRules: [{ verbs: ["get", "list", "watch"], apiGroups: ["*"], resources: ["*"] }],
    nonResourceRules: [{ verbs: ["get"], nonResourceURLs: ["*"] }],
    incomplete: false
  }
})

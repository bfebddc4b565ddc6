/**
 * Label selectors (`app=web,tier!=db,env in (a,b),!legacy`) and field selectors (`spec.nodeName=n,status.phase!=Running`).
 */
import { Either } from "effect"
import { getPath } from "./json.js"

/** One requirement of a label selector. */
export type LabelRequirement =
  | { readonly op: "eq" | "neq"; readonly key: string; readonly value: string }
  | { readonly op: "in" | "notin"; readonly key: string; readonly values: ReadonlyArray<string> }
  | { readonly op: "exists" | "notexists"; readonly key: string }
  | { readonly op: "gt" | "lt"; readonly key: string; readonly value: number }

/** A parsed label selector: every requirement must hold. */
export type LabelSelector = ReadonlyArray<LabelRequirement>

/** A parsed field selector: every term must hold. */
export type FieldSelector = ReadonlyArray<{ readonly path: string; readonly op: "eq" | "neq"; readonly value: string }>

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

/** Splits on commas that are not inside parentheses. */
const splitTop = (text: string): Array<string> => {
  const parts: Array<string> = []
  let depth = 0
  let current = ""
  for (const ch of text) {
    if (ch === "(") depth += 1
    if (ch === ")") depth -= 1
    if (ch === "," && depth === 0) {
      parts.push(current)
      current = ""
    } else current += ch
  }
  parts.push(current)
  return parts
}

const parseRequirement = (raw: string): Either.Either<LabelRequirement, string> => {
  const text = raw.trim()
  const bad = (why: string): Either.Either<LabelRequirement, string> =>
    Either.left(`unable to parse requirement: ${why}: ${JSON.stringify(text)}`)
  const key = (k: string): Either.Either<string, string> =>
    KEY.test(k) ? Either.right(k) : Either.left(`unable to parse requirement: invalid label key ${JSON.stringify(k)}`)
  const value = (v: string): Either.Either<string, string> =>
    VALUE.test(v) && v.length <= 63
      ? Either.right(v)
      : Either.left(`unable to parse requirement: invalid label value: ${JSON.stringify(v)}`)
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text)
  if (set !== null) {
    const [, k = "", op = "in", list = ""] = set
    const values = list
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "")
    const bads = values.find((v) => Either.isLeft(value(v)))
    if (bads !== undefined) return bad("invalid value")
    return Either.map(key(k), (kk) => ({ op: op === "in" ? "in" : "notin", key: kk, values }) as const)
  }
  const cmp = /^([^!=<>\s]+)\s*(==|!=|=|>|<)\s*(.*)$/.exec(text)
  if (cmp !== null) {
    const [, k = "", op = "=", v = ""] = cmp
    if (op === ">" || op === "<") {
      const n = Number(v)
      if (!Number.isInteger(n)) return bad("for 'Gt', 'Lt' operators, the value must be an integer")
      return Either.map(key(k), (kk) => ({ op: op === ">" ? "gt" : "lt", key: kk, value: n }) as const)
    }
    return Either.flatMap(key(k), (kk) =>
      Either.map(value(v.trim()), (vv) => ({ op: op === "!=" ? "neq" : "eq", key: kk, value: vv }) as const)
    )
  }
  if (text.startsWith("!")) return Either.map(key(text.slice(1).trim()), (k) => ({ op: "notexists", key: k }) as const)
  if (text === "") return bad("empty requirement")
  return Either.map(key(text), (k) => ({ op: "exists", key: k }) as const)
}

/** Parses a label selector; the empty string selects everything. Left is the API's error message. */
export const parseLabelSelector = (text: string): Either.Either<LabelSelector, string> => {
  if (text.trim() === "") return Either.right([])
  return Either.all(splitTop(text).map(parseRequirement))
}

/** True when the labels satisfy every requirement. */
export const matchesLabels = (selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean =>
  selector.every((req) => {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key)
    const actual = labels[req.key]
    switch (req.op) {
      case "eq":
        return has && actual === req.value
      case "neq":
        return !has || actual !== req.value
      case "in":
        return has && actual !== undefined && req.values.includes(actual)
      case "notin":
        return !has || actual === undefined || !req.values.includes(actual)
      case "exists":
        return has
      case "notexists":
        return !has
      case "gt":
        return has && Number(actual) > req.value
      case "lt":
        return has && Number(actual) < req.value
    }
  })

/** Splits on unescaped `sep`, unescaping `\,` `\=` `\\`. */
const splitEscaped = (text: string, sep: string): Array<string> => {
  const parts: Array<string> = []
  let current = ""
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i)
    if (ch === "\\" && i + 1 < text.length) {
      current += ch + text.charAt(i + 1)
      i += 1
    } else if (ch === sep) {
      parts.push(current)
      current = ""
    } else current += ch
  }
  parts.push(current)
  return parts
}

const unescape = (text: string): string => text.replace(/\\(.)/g, "$1")

/** Parses a field selector; the empty string selects everything. Left is the API's error message. */
export const parseFieldSelector = (text: string): Either.Either<FieldSelector, string> => {
  if (text.trim() === "") return Either.right([])
  return Either.all(
    splitEscaped(text, ",").map((term) => {
      const m = /^((?:[^\\!=]|\\.)+?)\s*(==|!=|=)\s*((?:.|\n)*)$/.exec(term.trim())
      if (m === null) return Either.left(`invalid selector: '${text}'; can't understand '${term}'`)
      const [, path = "", op = "=", value = ""] = m
      return Either.right({
        path: unescape(path.trim()),
        op: op === "!=" ? ("neq" as const) : ("eq" as const),
        value: unescape(value)
      })
    })
  )
}

const asText = (value: unknown): string => {
  if (value === undefined || value === null) return ""
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  return JSON.stringify(value)
}

/** True when the object satisfies every term (a missing field reads as the empty string). */
export const matchesFields = (selector: FieldSelector, object: unknown): boolean =>
  selector.every((term) => {
    const actual = asText(getPath(object, term.path))
    return term.op === "eq" ? actual === term.value : actual !== term.value
  })

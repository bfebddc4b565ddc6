/**
 * Reading YAML configuration files with line numbers: parse once with `yaml`'s `parseDocument` and a `LineCounter`,
 * then map a field path (as reported by an Effect Schema `ParseError`) back to the line it was written on, so that
 * every configuration error reads `file:line: path: message`.
 */
import { Either, Option, ParseResult } from "effect"
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from "yaml"

/** A parsed YAML file: its plain value and a way to find the line of a field. */
export interface YamlSource {
  /** The file name used in messages. */
  readonly file: string
  /** The document as plain JavaScript values (`null` for an empty file). */
  readonly value: unknown
  /** The 1-based line of the deepest existing node along `path` (the key's line for map entries). */
  readonly lineOf: (path: ReadonlyArray<PropertyKey>) => Option.Option<number>
}

/** One problem in a configuration file, with its location. */
export interface SourceIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

/** Renders a field path as `servers.kubernetes.args[2]`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((acc, segment) => {
    if (typeof segment === "number") return `${acc}[${segment}]`
    const name = String(segment)
    return acc === "" ? name : `${acc}.${name}`
  }, "")

/** Parses YAML text; a syntax error is returned as a `file:line: message` string. */
export const parseYamlSource = (file: string, text: string): Either.Either<YamlSource, string> => {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter })
  const firstError = doc.errors[0]
  if (firstError !== undefined) {
    const line = firstError.linePos?.[0]?.line
    const message = (firstError.message.split("\n")[0] ?? firstError.message).replace(/ at line \d+, column \d+:?$/, "")
    return Either.left(`${file}${line !== undefined ? `:${line}` : ""}: invalid YAML: ${message}`)
  }
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line
  const lineOf = (path: ReadonlyArray<PropertyKey>): Option.Option<number> => {
    let node: unknown = doc.contents
    let line: Option.Option<number> = rangeLine(node, lineAt)
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment))
        if (pair === undefined) return line
        line = Option.orElse(rangeLine(pair.key, lineAt), () => line)
        node = pair.value
      } else if (isSeq(node) && typeof segment === "number") {
        const item: unknown = node.items[segment]
        if (item === undefined) return line
        line = Option.orElse(rangeLine(item, lineAt), () => line)
        node = item
      } else return line
    }
    return line
  }
  // toJS resolves aliases: an unresolved or exponential ("billion laughs") alias is reported, not thrown
  const converted = Either.try({
    try: (): unknown => doc.toJS({ maxAliasCount: 100 }),
    catch: (e) => (e instanceof Error ? e.message : String(e))
  })
  return Either.match(converted, {
    onLeft: (message) => Either.left(`${file}: invalid YAML: ${message.split("\n")[0] ?? message}`),
    onRight: (value) =>
      hasCycle(value)
        ? Either.left(`${file}: invalid YAML: an alias refers to a node that contains it (self-referencing alias)`)
        : Either.right({ file, value, lineOf })
  })
}

/** Whether a value built from YAML contains itself (a self-referencing alias); iterative, no recursion. */
const hasCycle = (root: unknown): boolean => {
  const stack: Array<{ readonly node: unknown; readonly ancestors: ReadonlySet<object> }> = [
    { node: root, ancestors: new Set() }
  ]
  while (stack.length > 0) {
    const top = stack.pop()
    if (top === undefined) break
    const node = top.node
    if (typeof node !== "object" || node === null) continue
    if (top.ancestors.has(node)) return true
    const ancestors = new Set(top.ancestors).add(node)
    for (const child of Object.values(node)) stack.push({ node: child, ancestors })
  }
  return false
}

const rangeLine = (node: unknown, lineAt: (offset: number) => number): Option.Option<number> => {
  if (!isNode(node)) return Option.none()
  const range = node.range
  return range === undefined || range === null ? Option.none() : Option.some(lineAt(range[0]))
}

/** Renders one issue as `file:line: path: message` (the line when it can be found). */
export const formatIssue = (source: Pick<YamlSource, "file" | "lineOf">, issue: SourceIssue): string => {
  const line = source.lineOf(issue.path)
  const where = Option.match(line, { onNone: () => source.file, onSome: (l) => `${source.file}:${l}` })
  const path = formatPath(issue.path)
  return path === "" ? `${where}: ${issue.message}` : `${where}: ${path}: ${issue.message}`
}

/**
 * Turns a Schema `ParseError` into issues: one per field path (the first message wins), with messages starting in
 * lower case (`expected string, got 1`), and without the noise of optional-field alternatives.
 */
export const issuesFromParseError = (error: ParseResult.ParseError): ReadonlyArray<SourceIssue> => {
  const seen = new Set<string>()
  const out: Array<SourceIssue> = []
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const key = formatPath(issue.path)
    if (seen.has(key) || issue.message.startsWith("Expected undefined")) continue
    seen.add(key)
    const message = issue.message
      .replace(/^Expected /, "expected ")
      .replace(/, actual /, ", got ")
      .replace(/^is missing$/, "is required")
      .replace(/^is unexpected, expected: /, "is not a known field; expected one of: ")
    out.push({ path: issue.path, message })
  }
  return out
}

/**
 * Loading and validating scenario files (see /work/shared/scenarios/README.md for the format).
 *
 * Only the parts of a scenario that describe the cluster are kept: `expected_root_cause`, `must_mention` and
 * `category` are validated when present but dropped at load time, so nothing downstream can serve them.
 */
import { readFile } from "node:fs/promises"
import { Data, Effect, Either, ParseResult, Schema } from "effect"
import type { JsonRecord } from "./json.js"

const Open = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const ObjectMetadata = Schema.Struct(
  {
    name: Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" })),
    namespace: Schema.optional(Schema.String),
    labels: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
    annotations: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
  },
  Open
)

const KubeObject = Schema.Struct(
  {
    apiVersion: Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" })),
    kind: Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" })),
    metadata: ObjectMetadata
  },
  Open
)

const ScenarioEvent = Schema.Struct(
  {
    involvedObject: Schema.Struct(
      { kind: Schema.String, name: Schema.String, namespace: Schema.optional(Schema.String) },
      Open
    ),
    reason: Schema.optional(Schema.String),
    message: Schema.optional(Schema.String),
    type: Schema.optional(Schema.String),
    count: Schema.optional(Schema.Number)
  },
  Open
)

/** The on-disk shape of a scenario file (scoring fields included, so they are validated). */
export const ScenarioFile = Schema.Struct({
  id: Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" })),
  incident_description: Schema.String,
  namespace: Schema.String.pipe(Schema.minLength(1, { message: () => "must be a non-empty string" })),
  objects: Schema.Array(KubeObject),
  events: Schema.optionalWith(Schema.Array(ScenarioEvent), { default: () => [] }),
  logs: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), { default: () => ({}) }),
  expected_root_cause: Schema.optional(Schema.String),
  must_mention: Schema.optional(Schema.Array(Schema.String)),
  category: Schema.optional(Schema.String)
})

/** A validated scenario, reduced to what describes the cluster (no scoring fields). */
export interface Scenario {
  /** The scenario id (used for naming only, never served). */
  readonly id: string
  /** The namespace of the affected workload (the kubeconfig's default namespace). */
  readonly namespace: string
  /** What the on-call engineer reported; returned to callers, never served by the API. */
  readonly incidentDescription: string
  /** The Kubernetes objects, as in the file. */
  readonly objects: ReadonlyArray<JsonRecord>
  /** The events, as in the file (without metadata). */
  readonly events: ReadonlyArray<JsonRecord>
  /** Pod logs keyed `<pod>/<container>` and `<pod>/<container>/previous`. */
  readonly logs: Readonly<Record<string, string>>
  /** Where the scenario came from (a path or a label), for error messages. */
  readonly source: string
}

/** A scenario file could not be read, parsed or validated; `message` names the file and the field. */
export class ScenarioError extends Data.TaggedError("ScenarioError")<{
  readonly file: string
  readonly message: string
}> {}

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path
    .map((step, i) => {
      if (typeof step === "number") return `[${step}]`
      const key = String(step)
      if (/^[A-Za-z_$][\w$-]*$/.test(key)) return i === 0 ? key : `.${key}`
      return `[${JSON.stringify(key)}]`
    })
    .join("")

const formatIssues = (file: string, error: ParseResult.ParseError): string => {
  const all = ParseResult.ArrayFormatter.formatErrorSync(error)
  // Optional fields decode as `T | undefined`: the "Expected undefined" alternative is noise beside the real issue.
  const relevant = all.filter((issue) => !issue.message.startsWith("Expected undefined"))
  const issues = relevant.length > 0 ? relevant : all
  const lines = issues.slice(0, 5).map((issue) => {
    const where = issue.path.length === 0 ? "the document" : formatPath(issue.path)
    if (issue._tag === "Missing") return `${where} is missing`
    if (issue._tag === "Unexpected") return `${where} is not allowed`
    return `${where}: ${issue.message}`
  })
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more problems)` : ""
  return `${file}: ${lines.join("; ")}${more}`
}

const decodeFile = Schema.decodeUnknownEither(ScenarioFile, { errors: "all" })

/**
 * Validates an already-parsed scenario document. `source` names it in error messages.
 * Pure: returns the scenario or a ScenarioError naming the source and the offending field.
 */
export const decodeScenario = (source: string, document: unknown): Either.Either<Scenario, ScenarioError> =>
  Either.match(decodeFile(document), {
    onLeft: (error) => Either.left(new ScenarioError({ file: source, message: formatIssues(source, error) })),
    onRight: (file) =>
      Either.right({
        id: file.id,
        namespace: file.namespace,
        incidentDescription: file.incident_description,
        objects: file.objects,
        events: file.events,
        logs: file.logs,
        source
      })
  })

/** Parses scenario JSON text (reporting syntax errors with the file name) and validates it. */
export const parseScenario = (source: string, text: string): Either.Either<Scenario, ScenarioError> => {
  const parsed = Either.try({
    try: (): unknown => JSON.parse(text),
    catch: (cause) =>
      new ScenarioError({
        file: source,
        message: `${source}: invalid JSON: ${cause instanceof Error ? cause.message : String(cause)}`
      })
  })
  return Either.flatMap(parsed, (document) =>
    nestingDepth(document) > MAX_NESTING
      ? Either.left(
          new ScenarioError({ file: source, message: `${source}: JSON nested deeper than ${MAX_NESTING} levels` })
        )
      : decodeScenario(source, document)
  )
}

/** Deepest nesting a scenario may have (real Kubernetes objects stay far below it). */
const MAX_NESTING = 100

/** Nesting depth of a JSON value, computed without recursion (deep documents must not overflow the stack). */
const nestingDepth = (value: unknown): number => {
  let max = 0
  const stack: Array<{ readonly v: unknown; readonly d: number }> = [{ v: value, d: 0 }]
  while (stack.length > 0) {
    const top = stack.pop()
    if (top === undefined) break
    if (top.d > max) max = top.d
    if (max > MAX_NESTING) return max
    if (typeof top.v === "object" && top.v !== null) {
      for (const child of Object.values(top.v)) stack.push({ v: child, d: top.d + 1 })
    }
  }
  return max
}

/** Reads and validates the scenario file at `path`. Fails with a ScenarioError naming the file and the field. */
export const loadScenario = (path: string): Effect.Effect<Scenario, ScenarioError> =>
  Effect.tryPromise({
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- reading the caller-chosen scenario is the point
    try: () => readFile(path, "utf8"),
    catch: (cause) =>
      new ScenarioError({
        file: path,
        message: `${path}: cannot read the scenario file: ${cause instanceof Error ? cause.message : String(cause)}`
      })
  }).pipe(
    Effect.flatMap((text) => parseScenario(path, text)),
    Effect.withSpan("Sandbox.loadScenario", { attributes: { path } })
  )

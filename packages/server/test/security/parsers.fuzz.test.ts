/**
 * Property-based fuzzing of the configuration and scenario parsers: random and mutated documents give a typed
 * error with a readable message (or a valid result), never a thrown exception.
 */
import { describe, expect, it } from "vitest"
import { Either } from "effect"
import fc from "fast-check"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseScenario } from "../../../sandbox/src/scenario.js"
import { parseKnowledgeGraph } from "../../src/knowledge/KnowledgeGraph.js"
import { parseMcpConfig } from "../../src/mcp/McpConfig.js"

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url))
// eslint-disable-next-line security/detect-non-literal-fs-filename -- test fixture in a fresh temp dir / the repo
const read = (path: string) => readFileSync(join(ROOT, path), "utf8")
const MCP = read("mcp_config.yaml")
const GRAPH = read("knowledge_graph.yaml")
const SCENARIO_DIR = "packages/sandbox/scenarios"
// eslint-disable-next-line security/detect-non-literal-fs-filename -- the repository's own scenario directory
const SCENARIO_FILES = readdirSync(join(ROOT, SCENARIO_DIR)).filter((f) => f.endsWith(".json"))
const SCENARIO = read(join(SCENARIO_DIR, SCENARIO_FILES[0] ?? ""))
const RUNS = 150

/** Mutations of a document: cut it, splice random text or YAML/JSON syntax into it, or duplicate a slice. */
const mutated = (doc: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.nat({ max: doc.length }).map((n) => doc.slice(0, n)),
    fc
      .tuple(
        fc.nat({ max: doc.length }),
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 40 }),
          fc.constantFrom(
            ": ",
            "- ",
            "\n  ",
            "\t",
            "&a ",
            "!!binary ",
            "!!js/function ",
            "? ",
            "|",
            ">",
            "{",
            "}",
            "[",
            "]",
            '"',
            "'",
            "#",
            "---\n",
            "...\n",
            "~",
            "null",
            "\u0000",
            "\uFEFF",
            "\ud800",
            "${",
            "${HOME}",
            "1e999",
            "-0",
            "0x1F",
            ".inf",
            ",",
            "__proto__: {}",
            "constructor:"
          )
        ),
        fc.nat({ max: 20 })
      )
      .map(([at, insert, drop]) => doc.slice(0, at) + insert + doc.slice(at + drop)),
    fc
      .tuple(fc.nat({ max: doc.length }), fc.nat({ max: doc.length }))
      .map(([a, b]) => doc + "\n" + doc.slice(Math.min(a, b), Math.max(a, b)))
  )

/**
 * Inputs that currently make the parsers THROW instead of returning their typed error (bugs in files this suite
 * does not own; see the `it.fails` cases below, which start failing, i.e. pass, once the parsers are fixed).
 */
const KNOWN_CRASHERS = {
  deepJson: "[".repeat(5_000) + "]".repeat(5_000),
  deepYaml: "a: " + "[".repeat(2_000) + "]".repeat(2_000),
  // billion laughs: the yaml library refuses it by throwing ReferenceError("Excessive alias count ...")
  aliasBomb:
    'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n' +
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
  // a self-referencing alias builds a cyclic value: the validators recurse forever
  cyclicServers: "servers:\n  a: &a\n    b: *a\n",
  cyclicServices: "services: &s\n  x: *s\n",
  unresolvedAlias: "a: &a 1\nb: *a\nc: *nope\n"
}

/** Random documents: arbitrary JSON values (valid YAML too), random text, moderately deep nesting. */
const randomDoc: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: "binary", maxLength: 500 }),
  fc.constantFrom(
    "",
    "\n",
    "[".repeat(200) + "]".repeat(200),
    "a: " + "[".repeat(100) + "]".repeat(100),
    "- ".repeat(300) + "x",
    "!!js/undefined x",
    "__proto__:\n  polluted: true\n",
    "%YAML 9.9\n---\na: 1",
    "a: &a 1\nb: *a\n"
  )
)

/** Runs a parser and checks it returned an Either with a readable error, whatever the input. */
const total =
  <E extends { readonly message: string }, A>(parse: (text: string) => Either.Either<A, E>) =>
  (text: string): void => {
    let result: Either.Either<A, E>
    try {
      result = parse(text)
    } catch (error) {
      throw new Error(`parser threw on ${JSON.stringify(text.slice(0, 200))}: ${String(error)}`)
    }
    expect(Either.isEither(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(typeof result.left.message).toBe("string")
      expect(result.left.message.length).toBeGreaterThan(0)
      expect(result.left.message.length).toBeLessThan(20_000)
    }
  }

const mcp = total((text) => parseMcpConfig(text, { file: "mcp_config.yaml", env: { HOME: "/home/x" }, binDirs: [] }))
const graph = total((text) => parseKnowledgeGraph(text, "knowledge_graph.yaml"))
const scenario = total((text) => parseScenario("scenario.json", text))

describe("configuration parsers never throw", () => {
  it("the shipped documents parse", () => {
    expect(Either.isRight(parseKnowledgeGraph(GRAPH))).toBe(true)
    expect(Either.isRight(parseScenario("scenario.json", SCENARIO))).toBe(true)
    mcp(MCP)
  })

  it("mcp_config.yaml: mutated and random documents give McpConfigError", () => {
    fc.assert(fc.property(fc.oneof(mutated(MCP), randomDoc), mcp), { numRuns: RUNS })
  })

  it("knowledge_graph.yaml: mutated and random documents give KnowledgeGraphError", () => {
    fc.assert(fc.property(fc.oneof(mutated(GRAPH), randomDoc), graph), { numRuns: RUNS })
  })

  it("scenario files: mutated and random documents give ScenarioError", () => {
    fc.assert(fc.property(fc.oneof(mutated(SCENARIO), randomDoc), scenario), { numRuns: RUNS })
    // structurally valid JSON with wrong types in every field
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom("id", "namespace", "incident_description", "objects", "events", "logs"),
          fc.jsonValue()
        ),
        (doc) => scenario(JSON.stringify({ ...(JSON.parse(SCENARIO) as Record<string, unknown>), ...doc }))
      ),
      { numRuns: RUNS }
    )
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
  })
})

/** Runs a parser over one input and reports whether it threw. */
const throws = (parse: (text: string) => unknown, text: string): boolean => {
  try {
    parse(text)
    return false
  } catch {
    return true
  }
}

/** Which parser throws on which input today (bugs to fix in the parsers; see the report / docs/security.md). */
const KNOWN_BUGS: Record<"mcp" | "graph" | "scenario", ReadonlyArray<keyof typeof KNOWN_CRASHERS>> = {
  mcp: [],
  graph: [],
  scenario: []
}

describe("documents that used to crash the parsers give typed errors", () => {
  const parsers = {
    mcp: (t: string) => parseMcpConfig(t, { file: "mcp_config.yaml", env: {}, binDirs: [] }),
    graph: (t: string) => parseKnowledgeGraph(t),
    scenario: (t: string) => parseScenario("scenario.json", t)
  }
  for (const [name, parse] of Object.entries(parsers) as Array<[keyof typeof parsers, (t: string) => unknown]>) {
    for (const crasher of Object.keys(KNOWN_CRASHERS) as Array<keyof typeof KNOWN_CRASHERS>) {
      const test = KNOWN_BUGS[name].includes(crasher) ? it.fails : it
      test(`${name}: ${crasher} gives a typed error`, () => {
        expect(throws(parse, KNOWN_CRASHERS[crasher])).toBe(false)
      })
    }
  }
})

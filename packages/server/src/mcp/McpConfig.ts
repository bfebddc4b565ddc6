/**
 * `mcp_config.yaml`: which MCP servers the orchestrator connects to, how, and which of their tools it may offer to
 * the agent. Read once at start-up (path from `MCP_CONFIG_PATH`, default `./mcp_config.yaml`), with `${VAR}` and
 * `${VAR:-default}` substitution, validated with Effect Schema; every error names the file, the line and the field.
 * See docs/mcp-integration.md for the format.
 */
import { existsSync, readFileSync } from "node:fs"
import { homedir } from "node:os"
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Config, Data, Duration, Effect, Either, Option, Schema } from "effect"
import { formatIssue, issuesFromParseError, parseYamlSource, type SourceIssue } from "../knowledge/yamlSource.js"

/** The default location of the configuration file (relative to the working directory). */
export const DEFAULT_MCP_CONFIG_PATH = "./mcp_config.yaml"
/** Default per-call timeout of a tool. */
export const DEFAULT_TOOL_TIMEOUT: Duration.Duration = Duration.seconds(30)
/** Default maximum length of a tool output handed to the agent, in characters. */
export const DEFAULT_TOOL_OUTPUT_BUDGET = 20_000

/** A configuration file that cannot be used; `message` is one readable line per problem. */
export class McpConfigError extends Data.TaggedError("McpConfigError")<{ readonly message: string }> {}

/** Settings shared by both transports. */
interface ServerCommon {
  /** The key under `servers:`. */
  readonly name: string
  /** Tool names offered even if they are not read-only. */
  readonly allow: ReadonlyArray<string>
  /** Tool names never offered (wins over `allow`). */
  readonly deny: ReadonlyArray<string>
  /** Per tool call. */
  readonly timeout: Duration.Duration
  readonly enabled: boolean
}

/** A server started as a child process that speaks MCP on stdin/stdout. */
export interface StdioServerConfig extends ServerCommon {
  readonly transport: "stdio"
  /** Absolute path when it could be resolved (repo `node_modules/.bin` first, then `PATH`), else as written. */
  readonly command: string
  readonly args: ReadonlyArray<string>
  /** Extra environment of the child (merged over a safe default environment; `PATH` includes `node_modules/.bin`). */
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string | undefined
}

/** A server reached over MCP streamable HTTP. */
export interface HttpServerConfig extends ServerCommon {
  readonly transport: "streamable_http"
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
}

/** One configured MCP server. */
export type McpServerConfig = StdioServerConfig | HttpServerConfig

/** The validated content of `mcp_config.yaml`. */
export interface McpConfig {
  /** The file it was read from (`undefined` when no file was found at the default path). */
  readonly file: string | undefined
  /** Every configured server, in file order (disabled ones included). */
  readonly servers: ReadonlyArray<McpServerConfig>
  /** Outputs longer than this many characters are cut with a visible note. */
  readonly toolOutputBudget: number
}

/** An empty configuration: no servers. */
export const emptyMcpConfig: McpConfig = {
  file: undefined,
  servers: [],
  toolOutputBudget: DEFAULT_TOOL_OUTPUT_BUDGET
}

// ---------------------------------------------------------------------------------------------------------------
// Schema of the file
// ---------------------------------------------------------------------------------------------------------------

const actual = (issue: { readonly actual: unknown }): string => {
  const json = JSON.stringify(issue.actual)
  return json === undefined ? String(issue.actual) : json
}

// eslint-disable-next-line security/detect-unsafe-regex -- anchored, no nested quantifiers, short inputs
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|millis|milliseconds?|s|sec|seconds?|m|min|minutes?|h|hours?)$/

/** Parses `30s`, `500ms`, `2m`, `1h` (or a bare number of seconds) into a Duration. */
export const parseDuration = (input: string | number): Option.Option<Duration.Duration> => {
  if (typeof input === "number") return input > 0 ? Option.some(Duration.seconds(input)) : Option.none()
  const match = DURATION_RE.exec(input.trim())
  if (match === null) return Option.none()
  const value = Number(match[1])
  const unit = match[2] ?? "s"
  if (!(value > 0)) return Option.none()
  if (unit.startsWith("ms") || unit.startsWith("milli")) return Option.some(Duration.millis(value))
  if (unit.startsWith("h")) return Option.some(Duration.hours(value))
  if (unit === "m" || unit.startsWith("min")) return Option.some(Duration.minutes(value))
  return Option.some(Duration.seconds(value))
}

const DurationField = Schema.Union(Schema.String, Schema.Number).pipe(
  Schema.filter((v) => Option.isSome(parseDuration(v)), {
    message: (issue) => `expected a positive duration such as 30s, 500ms or 2m, got ${actual(issue)}`
  })
)

const StringList = Schema.Array(
  Schema.String.annotations({ message: (issue) => `expected a string, got ${actual(issue)}` })
).annotations({ message: (issue) => `expected a list of strings, got ${actual(issue)}` })

const StringMap = Schema.Record({
  key: Schema.String,
  value: Schema.String.annotations({ message: (issue) => `expected a string, got ${actual(issue)}` })
}).annotations({ message: (issue) => `expected a map of strings, got ${actual(issue)}` })

const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })

const ServerEntry = Schema.Struct({
  transport: Schema.Literal("stdio", "streamable_http").annotations({
    message: (issue) => ({ message: `expected "stdio" | "streamable_http", got ${actual(issue)}`, override: true })
  }),
  command: opt(Schema.NonEmptyTrimmedString.annotations({ message: () => "expected a non-empty command" })),
  args: opt(StringList),
  env: opt(StringMap),
  cwd: opt(Schema.String),
  url: opt(
    Schema.String.pipe(
      Schema.filter((u) => /^https?:\/\/[^\s/]+/.test(u), {
        message: (issue) => `expected an http(s) URL, got ${actual(issue)}`
      })
    )
  ),
  headers: opt(StringMap),
  allow: opt(StringList),
  deny: opt(StringList),
  timeout: opt(DurationField),
  enabled: opt(Schema.Boolean.annotations({ message: (issue) => `expected true or false, got ${actual(issue)}` }))
})

const FileSchema = Schema.Struct({
  servers: opt(
    Schema.Record({ key: Schema.String, value: ServerEntry }).annotations({
      message: () => "expected a map of server name to server settings"
    })
  ),
  tool_output_budget: opt(
    Schema.Int.pipe(Schema.positive()).annotations({
      message: (issue) => `expected a positive integer (characters), got ${actual(issue)}`
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------
// Substitution
// ---------------------------------------------------------------------------------------------------------------

// eslint-disable-next-line security/detect-unsafe-regex -- no nested quantifiers; `[^}]*` stops at the brace
const VAR_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/**
 * Replaces `${VAR}` and `${VAR:-default}` in a string. An unset (or empty, with `:-`) variable without default is
 * returned as `Left(name)`.
 */
export const substituteEnv = (
  text: string,
  env: Readonly<Record<string, string | undefined>>
): Either.Either<string, string> => {
  let missing: string | undefined
  const out = text.replace(VAR_RE, (_match, name: string, fallback: string | undefined) => {
    const value = env[name]
    if (value !== undefined && (fallback === undefined || value !== "")) return value
    if (fallback !== undefined) return fallback
    missing ??= name
    return ""
  })
  return missing === undefined ? Either.right(out) : Either.left(missing)
}

/** Expands a leading `~/` (or a lone `~`) to the home directory. */
const expandHome = (value: string): string =>
  value === "~" ? homedir() : value.startsWith("~/") ? join(homedir(), value.slice(2)) : value

const substituteDeep = (
  value: unknown,
  path: ReadonlyArray<PropertyKey>,
  env: Readonly<Record<string, string | undefined>>,
  issues: Array<SourceIssue>
): unknown => {
  if (typeof value === "string") {
    return Either.match(substituteEnv(value, env), {
      onLeft: (name) => {
        issues.push({
          path,
          message: `environment variable ${name} is not set (set it, or write \${${name}:-default})`
        })
        return value
      },
      onRight: (s) => s
    })
  }
  if (Array.isArray(value)) return value.map((v: unknown, i) => substituteDeep(v, [...path, i], env, issues))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteDeep(v, [...path, k], env, issues)] as const)
    )
  }
  return value
}

const substituteFile = (
  raw: object,
  env: Readonly<Record<string, string | undefined>>,
  issues: Array<SourceIssue>
): unknown => {
  const servers: unknown = "servers" in raw ? raw.servers : undefined
  if (servers === null || typeof servers !== "object" || Array.isArray(servers)) return raw
  const out = Object.fromEntries(
    Object.entries(servers).map(([name, entry]: [string, unknown]) => {
      const disabled = entry !== null && typeof entry === "object" && "enabled" in entry && entry.enabled === false
      return [name, disabled ? entry : substituteDeep(entry, ["servers", name], env, issues)] as const
    })
  )
  return { ...raw, servers: out }
}

// ---------------------------------------------------------------------------------------------------------------
// Command resolution
// ---------------------------------------------------------------------------------------------------------------

/** `node_modules/.bin` directories that should be searched first: walking up from `from` and from this module. */
export const defaultBinDirs = (from: string): ReadonlyArray<string> => {
  const dirs: Array<string> = []
  const walk = (start: string): void => {
    let dir = resolve(start)
    for (;;) {
      const bin = join(dir, "node_modules", ".bin")
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- directories derived from the config path
      if (!dirs.includes(bin) && existsSync(bin)) dirs.push(bin)
      const parent = dirname(dir)
      if (parent === dir) return
      dir = parent
    }
  }
  walk(from)
  walk(dirname(fileURLToPath(import.meta.url)))
  return dirs
}

/** Finds `command` in `dirs` (a command containing a path separator is resolved against `base`). */
export const resolveCommand = (command: string, dirs: ReadonlyArray<string>, base: string): string => {
  if (command.includes("/")) return isAbsolute(command) ? command : resolve(base, command)
  for (const dir of dirs) {
    const candidate = join(dir, command)
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- PATH lookup
    if (existsSync(candidate)) return candidate
  }
  return command
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------------

/** Inputs of {@link parseMcpConfig} besides the text. */
export interface ParseMcpConfigOptions {
  /** Name of the file in messages and base for relative paths. */
  readonly file: string
  /** Variables for `${VAR}` substitution (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Directories searched for stdio commands before `PATH` (default: `node_modules/.bin` up from the file). */
  readonly binDirs?: ReadonlyArray<string>
}

/** Parses and validates the text of an `mcp_config.yaml`. Pure apart from looking up commands on disk. */
export const parseMcpConfig = (
  text: string,
  options: ParseMcpConfigOptions
): Either.Either<McpConfig, McpConfigError> => {
  const file = options.file
  const env = options.env ?? process.env
  const fail = (issues: ReadonlyArray<SourceIssue>, source: Parameters<typeof formatIssue>[0]) =>
    Either.left(new McpConfigError({ message: issues.map((i) => formatIssue(source, i)).join("\n") }))

  const parsed = parseYamlSource(file, text)
  if (Either.isLeft(parsed)) return Either.left(new McpConfigError({ message: parsed.left }))
  const source = parsed.right
  const value = source.value ?? {}
  if (typeof value !== "object" || Array.isArray(value)) {
    return fail([{ path: [], message: "expected a map with `servers:` and `tool_output_budget:`" }], source)
  }
  // `servers:` with nothing under it is `null` in YAML: treat it as absent.
  const raw = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined))

  // Substitute before decoding (so `timeout: ${T:-30s}` works), but only in enabled servers: a disabled example
  // must not require its variables.
  const issues: Array<SourceIssue> = []
  const substituted = substituteFile(raw, env, issues)
  const decoded = Schema.decodeUnknownEither(FileSchema, { errors: "all", onExcessProperty: "error" })(substituted)
  if (Either.isLeft(decoded)) return fail([...issues, ...issuesFromParseError(decoded.left)], source)
  if (issues.length > 0) return fail(issues, source)
  const fileValue = decoded.right

  const baseDir = dirname(resolve(file))
  const binDirs = options.binDirs ?? defaultBinDirs(baseDir)
  const pathDirs = (env["PATH"] ?? "").split(delimiter).filter((d) => d.length > 0)
  const servers: Array<McpServerConfig> = []

  for (const [name, sub] of Object.entries(fileValue.servers ?? {})) {
    const at = ["servers", name]
    const enabled = sub.enabled ?? true
    const timeout = Option.getOrElse(
      sub.timeout === undefined ? Option.none() : parseDuration(sub.timeout),
      () => DEFAULT_TOOL_TIMEOUT
    )
    const common = { name, allow: sub.allow ?? [], deny: sub.deny ?? [], timeout, enabled }
    if (sub.transport === "stdio") {
      if (sub.url !== undefined || sub.headers !== undefined) {
        issues.push({ path: [...at, sub.url !== undefined ? "url" : "headers"], message: "only for streamable_http" })
      }
      if (sub.command === undefined) {
        issues.push({ path: [...at, "command"], message: "is required for transport stdio" })
        continue
      }
      const command = resolveCommand(expandHome(sub.command), [...binDirs, ...pathDirs], baseDir)
      const envOut: Record<string, string> = { ...(sub.env ?? {}) }
      envOut["PATH"] = [...binDirs, envOut["PATH"] ?? env["PATH"] ?? ""].filter((d) => d !== "").join(delimiter)
      servers.push({
        ...common,
        transport: "stdio",
        command,
        args: (sub.args ?? []).map(expandHome),
        env: envOut,
        cwd: sub.cwd === undefined ? undefined : resolve(baseDir, expandHome(sub.cwd))
      })
    } else {
      for (const key of ["command", "args", "env", "cwd"] as const) {
        if (sub[key] !== undefined) issues.push({ path: [...at, key], message: "only for stdio" })
      }
      if (sub.url === undefined) {
        issues.push({ path: [...at, "url"], message: "is required for transport streamable_http" })
        continue
      }
      servers.push({ ...common, transport: "streamable_http", url: sub.url, headers: sub.headers ?? {} })
    }
  }
  if (issues.length > 0) return fail(issues, source)
  return Either.right({
    file,
    servers,
    toolOutputBudget: fileValue.tool_output_budget ?? DEFAULT_TOOL_OUTPUT_BUDGET
  })
}

/**
 * Reads the configuration file. `path` undefined means the default path, where a missing file is an empty
 * configuration; an explicitly given path that does not exist is an error.
 */
export const loadMcpConfig = (
  path: string | undefined,
  options: Omit<ParseMcpConfigOptions, "file"> = {}
): Effect.Effect<McpConfig, McpConfigError> =>
  Effect.gen(function* () {
    const file = path ?? DEFAULT_MCP_CONFIG_PATH
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- operator-chosen configuration path
    if (!existsSync(file)) {
      if (path === undefined) {
        yield* Effect.logInfo(`mcp: no ${file}; no MCP servers configured`)
        return emptyMcpConfig
      }
      return yield* new McpConfigError({ message: `${file}: file not found (MCP_CONFIG_PATH)` })
    }
    const text = yield* Effect.try({
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- operator-chosen configuration path
      try: () => readFileSync(file, "utf8"),
      catch: (e) =>
        new McpConfigError({ message: `${file}: cannot read: ${e instanceof Error ? e.message : String(e)}` })
    })
    return yield* parseMcpConfig(text, { ...options, file })
  })

/** `MCP_CONFIG_PATH` (unset: the default path, where a missing file means no servers). */
export const mcpConfigPath: Config.Config<Option.Option<string>> = Config.option(Config.string("MCP_CONFIG_PATH"))

/** Reads `MCP_CONFIG_PATH` and loads the file it names. */
export const loadMcpConfigFromEnv: Effect.Effect<McpConfig, McpConfigError> = Effect.gen(function* () {
  const path = yield* Effect.orElseSucceed(mcpConfigPath, () => Option.none<string>())
  return yield* loadMcpConfig(Option.getOrUndefined(path))
})

/** A one-line description of a server for logs (never headers or env values). */
export const describeServer = (server: McpServerConfig): string =>
  server.transport === "stdio"
    ? `stdio ${server.command} ${server.args.join(" ")}`.trim()
    : `streamable_http ${server.url}${Object.keys(server.headers).length > 0 ? ` (headers: ${Object.keys(server.headers).join(", ")})` : ""}`

/**
 * Server configuration, read once at start-up from the environment with Effect `Config`. A bad value stops the
 * server with one readable line naming the variable (see `formatConfigError`).
 */
import { hostname } from "node:os"
import { Cause, Config, ConfigError, Context, Duration, Effect, Layer, LogLevel, Option, Redacted } from "effect"

/** Everything the server needs to know from its environment (excluding per-service settings such as LLM_*). */
export interface AppConfigShape {
  readonly port: number
  readonly host: string
  readonly logLevel: LogLevel.LogLevel
  readonly logFormat: "json" | "pretty"
  readonly dbPath: string
  readonly corsOrigins: ReadonlyArray<string>
  readonly maxConcurrentInvestigations: number
  readonly maxQueuedInvestigations: number
  readonly shutdownGracePeriod: Duration.Duration
  readonly maxRequestBodyBytes: number
  readonly maxInvestigationAttempts: number
  /**
   * `INVESTIGATION_TIMEOUT`: hard limit of one investigation attempt (default 15 minutes). An attempt that runs longer
   * is failed with a timeout message. With several replicas it also sets the job lease (this plus one minute): a
   * replica that dies mid-investigation has its work picked up by another once the lease expires.
   */
  readonly investigationTimeout: Duration.Duration
  /** `REPLICA_ID`: the name of this replica in logs and job-queue records (default: host name and process id). */
  readonly replicaId: string
  readonly serviceName: string
  /** API keys from `SRE_API_KEYS` (comma-separated); empty = authentication off unless a keys file is set. */
  readonly apiKeys: ReadonlyArray<Redacted.Redacted<string>>
  /** `SRE_API_KEYS_FILE`: a file with one key per line (`#` comments), read once at start. */
  readonly apiKeysFile: Option.Option<string>
  /** `TRUST_PROXY`: take the client address from `X-Forwarded-For` (set by one trusted reverse proxy). */
  readonly trustProxy: boolean
  /** `RATE_LIMIT_PER_MINUTE`: sustained requests per minute per API key (or client address when auth is off). */
  readonly rateLimitPerMinute: number
  /** `RATE_LIMIT_BURST`: requests a client may make at once before the per-minute rate applies. */
  readonly rateLimitBurst: number
}

/** The validated configuration of this process. */
export class AppConfig extends Context.Tag("sre/AppConfig")<AppConfig, AppConfigShape>() {}

const logLevelNames = ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"] as const

const positiveInt = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.withDefault(fallback),
    Config.validate({ message: "must be a positive integer", validation: (n) => n > 0 })
  )

/** What every API key must look like (the message names the rule, never the key). */
export const API_KEY_RULE = "each API key must be 16-512 printable characters without spaces or commas"

/** Whether a key is long and plain enough to be used as an API key. */
export const isAcceptableApiKey = (key: string): boolean => /^[\x21-\x2b\x2d-\x7e]{16,512}$/.test(key)

/** Splits a comma-separated `SRE_API_KEYS` value, ignoring blanks around and between keys. */
export const splitApiKeys = (value: string): Array<string> =>
  value
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key.length > 0)

/** Reads `AppConfig` from the environment; fails with a `ConfigError` naming the bad variable. */
export const appConfig: Config.Config<AppConfigShape> = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(8080)),
  host: Config.string("HOST").pipe(
    Config.withDefault("127.0.0.1"),
    Config.validate({ message: "must be a host name or IP address", validation: (h) => /^[A-Za-z0-9.:_-]+$/.test(h) })
  ),
  logLevel: Config.literal(...logLevelNames)("LOG_LEVEL").pipe(
    Config.withDefault("info" as const),
    Config.map((name) => LogLevel.fromLiteral(name === "warning" ? "Warning" : capitalize(name)))
  ),
  logFormat: Config.literal("json", "pretty")("LOG_FORMAT").pipe(Config.withDefault("json" as const)),
  dbPath: Config.string("SRE_DB_PATH").pipe(
    Config.withDefault("./data/incidents.db"),
    Config.validate({ message: "must not be empty", validation: (p) => p.trim().length > 0 })
  ),
  corsOrigins: Config.string("CORS_ORIGINS").pipe(
    Config.withDefault(""),
    Config.map((s) =>
      s
        .split(",")
        .map((o) => o.trim())
        .filter((o) => o.length > 0)
    ),
    Config.validate({
      message: "must be a comma-separated list of origins such as https://ops.example.com (or *)",
      validation: (origins) => origins.every((o) => o === "*" || /^https?:\/\/[^\s/]+$/.test(o))
    })
  ),
  maxConcurrentInvestigations: positiveInt("MAX_CONCURRENT_INVESTIGATIONS", 8),
  maxQueuedInvestigations: positiveInt("MAX_QUEUED_INVESTIGATIONS", 1000),
  shutdownGracePeriod: Config.duration("SHUTDOWN_GRACE_PERIOD").pipe(Config.withDefault(Duration.seconds(20))),
  maxRequestBodyBytes: positiveInt("MAX_REQUEST_BODY_BYTES", 64 * 1024),
  maxInvestigationAttempts: positiveInt("MAX_INVESTIGATION_ATTEMPTS", 3),
  investigationTimeout: Config.duration("INVESTIGATION_TIMEOUT").pipe(
    Config.withDefault(Duration.minutes(15)),
    Config.validate({
      message: "must be a duration between 10 seconds and 12 hours (e.g. \"600 seconds\", \"15 minutes\")",
      validation: (d) =>
        Duration.greaterThanOrEqualTo(d, Duration.seconds(10)) && Duration.lessThanOrEqualTo(d, Duration.hours(12))
    })
  ),
  replicaId: Config.string("REPLICA_ID").pipe(
    Config.withDefault(`${hostname()}-${process.pid}`),
    Config.validate({
      message: "must be 1-128 characters of letters, digits, '.', '_' or '-'",
      validation: (id) => /^[A-Za-z0-9._-]{1,128}$/.test(id)
    })
  ),
  serviceName: Config.string("SERVICE_NAME").pipe(Config.withDefault("sre-orchestrator")),
  apiKeys: Config.redacted("SRE_API_KEYS").pipe(
    Config.withDefault(Redacted.make("")),
    Config.map((keys) => splitApiKeys(Redacted.value(keys)).map((key) => Redacted.make(key))),
    Config.validate({
      message: API_KEY_RULE,
      validation: (keys) => keys.every((key) => isAcceptableApiKey(Redacted.value(key)))
    })
  ),
  apiKeysFile: Config.option(Config.nonEmptyString("SRE_API_KEYS_FILE")),
  trustProxy: Config.boolean("TRUST_PROXY").pipe(Config.withDefault(false)),
  rateLimitPerMinute: positiveInt("RATE_LIMIT_PER_MINUTE", 600),
  rateLimitBurst: positiveInt("RATE_LIMIT_BURST", 60)
})

function capitalize(s: string): "All" | "Trace" | "Debug" | "Info" | "Warning" | "Error" | "Fatal" | "None" {
  switch (s) {
    case "all":
      return "All"
    case "trace":
      return "Trace"
    case "debug":
      return "Debug"
    case "error":
      return "Error"
    case "fatal":
      return "Fatal"
    case "none":
      return "None"
    default:
      return "Info"
  }
}

/** The live configuration layer (reads the process environment through the default ConfigProvider). */
export const AppConfigLive = Layer.effect(AppConfig, appConfig)

/** A configuration for tests: defaults with the given overrides, an in-memory database and no practical rate limit. */
export const testAppConfig = (overrides: Partial<AppConfigShape> = {}): AppConfigShape => ({
  port: 0,
  host: "127.0.0.1",
  logLevel: LogLevel.Warning,
  logFormat: "json",
  dbPath: ":memory:",
  corsOrigins: [],
  maxConcurrentInvestigations: 8,
  maxQueuedInvestigations: 1000,
  shutdownGracePeriod: Duration.seconds(2),
  maxRequestBodyBytes: 64 * 1024,
  maxInvestigationAttempts: 3,
  investigationTimeout: Duration.minutes(15),
  replicaId: "test-replica",
  serviceName: "sre-orchestrator",
  apiKeys: [],
  apiKeysFile: Option.none(),
  trustProxy: false,
  // tests poll the server hard from one address: the limiter is effectively off unless a test sets these
  rateLimitPerMinute: 1_000_000,
  rateLimitBurst: 1_000_000,
  ...overrides
})

/** A test layer for `AppConfig`. */
export const AppConfigTest = (overrides: Partial<AppConfigShape> = {}) =>
  Layer.succeed(AppConfig, testAppConfig(overrides))

/**
 * Renders a configuration failure as one line per problem, e.g.
 * `invalid configuration: PORT: Expected a network port ... but received "abc"`.
 */
export const formatConfigError = (error: ConfigError.ConfigError): string => {
  const lines: Array<string> = []
  const walk = (e: ConfigError.ConfigError): void => {
    switch (e._op) {
      case "And":
      case "Or":
        walk(e.left)
        walk(e.right)
        return
      case "InvalidData":
      case "MissingData":
      case "SourceUnavailable":
      case "Unsupported":
        lines.push(`${e.path.join(".")}: ${e.message}`)
        return
    }
  }
  walk(error)
  return `invalid configuration: ${[...new Set(lines)].join("; ")}`
}

/** Extracts a ConfigError from a failure cause, if that is what it holds. */
export const findConfigError = (cause: Cause.Cause<unknown>): Option.Option<ConfigError.ConfigError> =>
  Option.filter(Cause.failureOption(cause), ConfigError.isConfigError)

/** Reads the configuration as an Effect (for callers that are not layers). */
export const loadAppConfig = Effect.suspend(() => appConfig)

/**
 * The CLI's configuration file: `$XDG_CONFIG_HOME/sre-orchestrator/config.json` (default `~/.config`), holding
 * `server`, `api-key` and `output`. The directory is created with mode 0700 and the file written with mode 0600,
 * because it may hold an API key.
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import { dirname, join } from "node:path"
import { CliError } from "./errors.js"

/** The keys `sre config` manages. */
export const CONFIG_KEYS = ["server", "api-key", "output"] as const
/** One of `CONFIG_KEYS`. */
export type ConfigKey = (typeof CONFIG_KEYS)[number]

/** The stored configuration. Unknown keys in the file are ignored. */
export const StoredConfig = Schema.Struct({
  server: Schema.optional(Schema.String),
  "api-key": Schema.optional(Schema.String),
  output: Schema.optional(Schema.Literal("text", "json"))
})
/** @see StoredConfig */
export type StoredConfig = typeof StoredConfig.Type

/** Path of the configuration file, following the XDG base directory rules. */
export const configPath = (env: NodeJS.ProcessEnv = process.env): string => {
  const xdg = env["XDG_CONFIG_HOME"]
  const base = xdg !== undefined && xdg.trim() !== "" ? xdg : join(homedir(), ".config")
  return join(base, "sre-orchestrator", "config.json")
}

const isMissing = (e: unknown): boolean => typeof e === "object" && e !== null && "code" in e && e.code === "ENOENT"

const decodeConfig = Schema.decodeUnknownEither(Schema.parseJson(StoredConfig))

/** Reads the configuration file; a missing file is an empty configuration, a corrupt one an error. */
export const loadConfig = (path: string = configPath()): Effect.Effect<StoredConfig, CliError> =>
  Effect.tryPromise({
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the path is the CLI's own config file
    try: () => readFile(path, "utf8"),
    catch: (e) => e
  }).pipe(
    Effect.catchAll((e) =>
      isMissing(e)
        ? Effect.succeed("{}")
        : Effect.fail(new CliError({ message: `cannot read ${path}: ${String(e)}`, exitCode: 1 }))
    ),
    Effect.flatMap((text) =>
      Either.match(decodeConfig(text), {
        onLeft: (error) =>
          Effect.fail(
            new CliError({
              message: `invalid configuration file ${path}: ${ParseResult.TreeFormatter.formatErrorSync(error)}`,
              exitCode: 1
            })
          ),
        onRight: Effect.succeed
      })
    )
  )

/** Writes the configuration file atomically (temp file + rename), dir 0700, file 0600. */
export const saveConfig = (config: StoredConfig, path: string = configPath()): Effect.Effect<void, CliError> =>
  Effect.tryPromise({
    try: async () => {
      const dir = dirname(path)
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the CLI's own config directory
      await mkdir(dir, { recursive: true, mode: 0o700 })
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the CLI's own config directory
      await chmod(dir, 0o700)
      const tmp = `${path}.${process.pid}.tmp`
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the CLI's own config file
      await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 })
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the CLI's own config file
      await rename(tmp, path)
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- the CLI's own config file
      await chmod(path, 0o600)
    },
    catch: (e) => new CliError({ message: `cannot write ${path}: ${String(e)}`, exitCode: 1 })
  })

/** An API key with all but its last 4 characters hidden (fully hidden when short). */
export const maskSecret = (secret: string): string =>
  secret.length >= 12 ? `${"*".repeat(8)}${secret.slice(-4)}` : "*".repeat(8)

/** Checks a value for a key before it is stored; returns the normalised value or a readable error. */
export const validateConfigValue = (key: ConfigKey, value: string): Either.Either<string, string> => {
  const v = value.trim()
  switch (key) {
    case "server":
      return parseServerUrl(v)
    case "api-key":
      return v === "" ? Either.left("api-key must not be empty") : Either.right(v)
    case "output":
      return v === "text" || v === "json" ? Either.right(v) : Either.left('output must be "text" or "json"')
  }
}

/** Parses a server URL: http or https, no trailing slash. */
export const parseServerUrl = (value: string): Either.Either<string, string> => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return Either.left(`"${value}" is not a URL (expected e.g. http://127.0.0.1:8080)`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return Either.left(`"${value}" must start with http:// or https://`)
  return Either.right(url.href.replace(/\/+$/, ""))
}

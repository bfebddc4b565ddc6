/**
 * Global options (`--server`, `--api-key`, `--output`, `--no-color`) and how the effective settings are resolved:
 * flag > environment (`SRE_SERVER_URL`, `SRE_API_KEY`, `NO_COLOR`) > config file > default.
 */
import { Options } from "@effect/cli"
import { Config, Effect, Either, Option, Redacted } from "effect"
import { loadConfig, parseServerUrl } from "./config-store.js"
import { cliError, type CliError } from "./errors.js"

/** Server used when nothing else is configured. */
export const DEFAULT_SERVER = "http://127.0.0.1:8080"

/** Output format of every command. */
export type OutputFormat = "text" | "json"

/** The options every command accepts (they may also be given before the subcommand). */
export const globalOptions = {
  server: Options.text("server").pipe(
    Options.withDescription(`SRE server URL (env SRE_SERVER_URL, config "server", default ${DEFAULT_SERVER})`),
    Options.optional
  ),
  apiKey: Options.redacted("api-key").pipe(
    Options.withDescription('API key sent as "Authorization: Bearer" (env SRE_API_KEY, config "api-key")'),
    Options.optional
  ),
  output: Options.choice("output", ["text", "json"]).pipe(
    Options.withAlias("o"),
    Options.withDescription('Output format; json prints the API\'s JSON (config "output", default text)'),
    Options.optional
  ),
  noColor: Options.boolean("no-color").pipe(Options.withDescription("Disable colours (also: NO_COLOR env)"))
}

/** The parsed global options. */
export interface GlobalFlags {
  readonly server: Option.Option<string>
  readonly apiKey: Option.Option<Redacted.Redacted>
  readonly output: Option.Option<OutputFormat>
  readonly noColor: boolean
}

/** Options given to the subcommand win over the same options given before it. */
export const mergeFlags = (sub: GlobalFlags, root: GlobalFlags): GlobalFlags => ({
  server: Option.orElse(sub.server, () => root.server),
  apiKey: Option.orElse(sub.apiKey, () => root.apiKey),
  output: Option.orElse(sub.output, () => root.output),
  noColor: sub.noColor || root.noColor
})

/** The effective settings of this run. */
export interface Settings {
  readonly server: string
  readonly apiKey: Option.Option<Redacted.Redacted>
  readonly output: OutputFormat
  /** Whether stdout gets ANSI colours. */
  readonly color: boolean
  /** Whether stderr is an interactive terminal (spinner). */
  readonly interactive: boolean
}

const envServer = Config.option(Config.nonEmptyString("SRE_SERVER_URL"))
const envApiKey = Config.option(Config.redacted(Config.nonEmptyString("SRE_API_KEY")))
const envNoColor = Config.option(Config.string("NO_COLOR"))

/** Resolves the settings of this run from flags, environment and the config file. */
export const resolveSettings = (flags: GlobalFlags): Effect.Effect<Settings, CliError> =>
  Effect.gen(function* () {
    const file = yield* loadConfig()
    const env = yield* Effect.orDie(Config.all({ server: envServer, apiKey: envApiKey, noColor: envNoColor }))
    const [rawServer, origin] = Option.match(flags.server, {
      onSome: (s): [string, string] => [s, "--server"],
      onNone: () =>
        Option.match(env.server, {
          onSome: (s): [string, string] => [s, "SRE_SERVER_URL"],
          onNone: (): [string, string] =>
            file.server !== undefined ? [file.server, "the config file"] : [DEFAULT_SERVER, "the default"]
        })
    })
    const server = yield* Either.match(parseServerUrl(rawServer), {
      onLeft: (message) => Effect.fail(cliError(`invalid server URL from ${origin}: ${message}`)),
      onRight: Effect.succeed
    })
    const fileKey = file["api-key"]
    const apiKey = flags.apiKey.pipe(
      Option.orElse(() => env.apiKey),
      Option.orElse(() => (fileKey === undefined ? Option.none() : Option.some(Redacted.make(fileKey))))
    )
    const output = Option.getOrElse(flags.output, () => file.output ?? "text")
    const noColor = flags.noColor || Option.isSome(Option.filter(env.noColor, (v) => v !== ""))
    return {
      server,
      apiKey,
      output,
      color: !noColor && process.stdout.isTTY === true,
      interactive: process.stderr.isTTY === true && output === "text"
    }
  })

/**
 * `sre config get|set|unset|list`: manages `server`, `api-key` and `output` in
 * `$XDG_CONFIG_HOME/sre-orchestrator/config.json` (mode 0600). The API key is always shown masked.
 */
import { Args, Command } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import {
  CONFIG_KEYS,
  type ConfigKey,
  configPath,
  loadConfig,
  maskSecret,
  saveConfig,
  type StoredConfig,
  validateConfigValue
} from "../config-store.js"
import { cliError } from "../errors.js"
import { println } from "../output.js"
import { globalOptions } from "../settings.js"

const key = Args.choice(
  CONFIG_KEYS.map((k): [string, ConfigKey] => [k, k]),
  { name: "key" }
).pipe(Args.withDescription(`One of: ${CONFIG_KEYS.join(", ")}`))
const value = Args.text({ name: "value" })
const output = globalOptions.output

/** The value of a key as shown to the user (the API key masked). */
const shown = (config: StoredConfig, k: ConfigKey): string | undefined => {
  const v = config[k]
  return v === undefined ? undefined : k === "api-key" ? maskSecret(v) : v
}

const masked = (config: StoredConfig): StoredConfig =>
  config["api-key"] === undefined ? config : { ...config, "api-key": maskSecret(config["api-key"]) }

const getCommand = Command.make("get", { key }, ({ key }) =>
  Effect.gen(function* () {
    const config = yield* loadConfig()
    const v = shown(config, key)
    if (v === undefined) return yield* Effect.fail(cliError(`${key} is not set in ${configPath()}`))
    yield* println(v)
  })
).pipe(Command.withDescription("Print one stored value (the API key masked).\n\nExample:\n  sre config get server"))

const setCommand = Command.make("set", { key, value }, ({ key, value }) =>
  Effect.gen(function* () {
    const normalised = yield* Either.match(validateConfigValue(key, value), {
      onLeft: (message) => Effect.fail(cliError(`invalid value for ${key}: ${message}`)),
      onRight: Effect.succeed
    })
    const config = yield* loadConfig()
    yield* saveConfig({ ...config, [key]: normalised })
    yield* println(`${key} = ${shown({ [key]: normalised }, key) ?? ""} (saved to ${configPath()})`)
  })
).pipe(
  Command.withDescription(
    [
      "Store a value.",
      "",
      "Examples:",
      "  sre config set server https://sre.example.com",
      '  sre config set api-key "$(cat ~/.sre-key)"',
      "  sre config set output json"
    ].join("\n")
  )
)

const unsetCommand = Command.make("unset", { key }, ({ key }) =>
  Effect.gen(function* () {
    const config = yield* loadConfig()
    const { [key]: _removed, ...rest } = config
    yield* saveConfig(rest)
    yield* println(`${key} unset`)
  })
).pipe(Command.withDescription("Remove a stored value.\n\nExample:\n  sre config unset api-key"))

const listCommand = Command.make("list", { output }, ({ output }) =>
  Effect.gen(function* () {
    const config = yield* loadConfig()
    if (Option.contains(output, "json")) return yield* println(JSON.stringify(masked(config), null, 2))
    yield* println(`# ${configPath()}`)
    for (const k of CONFIG_KEYS) yield* println(`${k} = ${shown(config, k) ?? "(not set)"}`)
  })
).pipe(Command.withDescription("Print every stored value (the API key masked).\n\nExample:\n  sre config list"))

/** The `config` command and its subcommands. */
export const configCommand = Command.make("config").pipe(
  Command.withDescription(
    [
      "Manage stored settings: server, api-key, output.",
      "Precedence: --server/--api-key flags > SRE_SERVER_URL/SRE_API_KEY > this file > http://127.0.0.1:8080.",
      "",
      "Examples:",
      "  sre config set server http://sre.internal:8080",
      "  sre config list"
    ].join("\n")
  ),
  Command.withSubcommands([getCommand, setCommand, unsetCommand, listCommand])
)

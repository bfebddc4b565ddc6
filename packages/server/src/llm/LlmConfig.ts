/**
 * Settings of the LLM client, read from the environment with Effect `Config`:
 *
 * | Variable            | Default       | Meaning                                                        |
 * | ------------------- | ------------- | -------------------------------------------------------------- |
 * | `LLM_BASE_URL`      | (unset)       | OpenAI-compatible base URL (`…/v1`); unset = the LLM is off     |
 * | `LLM_API_KEY`       | (unset)       | API key (redacted; registered so it is scrubbed everywhere)    |
 * | `LLM_MODEL`         | `gpt-4o-mini` | Model name                                                     |
 * | `LLM_TIMEOUT`       | `60s`         | Per attempt                                                    |
 * | `LLM_MAX_RETRIES`   | `4`           | Retries of retryable failures (429, 5xx, network, timeout, …)  |
 * | `LLM_RETRY_BUDGET`  | `2m`          | Total wall-clock budget of one call including its retries      |
 * | `LLM_TEMPERATURE`   | `0`           | Sampling temperature (0–2)                                     |
 *
 * Durations accept `60s`, `500ms`, `2m`, `1h`, a bare number of seconds, or Effect's `"60 seconds"`. A bad value
 * fails with a `ConfigError` naming the variable.
 */
import { Config, ConfigError, Duration, Either, Option, Redacted } from "effect"
import { parseDuration } from "../mcp/McpConfig.js"

/** The validated LLM settings. */
export interface LlmSettings {
  /** OpenAI-compatible base URL; `undefined` when the LLM is disabled. */
  readonly baseUrl: string | undefined
  readonly apiKey: Redacted.Redacted<string> | undefined
  readonly model: string
  /** Per attempt. */
  readonly timeout: Duration.Duration
  readonly maxRetries: number
  /** Total budget of one call, retries and waits included. */
  readonly retryBudget: Duration.Duration
  readonly temperature: number
  /** First delay of the exponential back-off (500 ms; tests use less). */
  readonly retryBaseDelay: Duration.Duration
}

/** Defaults of every setting (the LLM is disabled: no base URL). */
export const defaultLlmSettings: LlmSettings = {
  baseUrl: undefined,
  apiKey: undefined,
  model: "gpt-4o-mini",
  timeout: Duration.seconds(60),
  maxRetries: 4,
  retryBudget: Duration.minutes(2),
  temperature: 0,
  retryBaseDelay: Duration.millis(500)
}

const invalid = (name: string, message: string) => ConfigError.InvalidData([], `${name}: ${message}`)

/** Parses `60s`, `500ms`, `2m`, a bare number of seconds, or an Effect duration text (`"60 seconds"`). */
export const parseDurationText = (text: string): Option.Option<Duration.Duration> => {
  const trimmed = text.trim()
  if (/^[0-9.]+$/.test(trimmed) && Number.isFinite(Number(trimmed))) return parseDuration(Number(trimmed))
  return Option.orElse(parseDuration(trimmed), () =>
    Option.filter(Duration.decodeUnknown(trimmed), (d) => Duration.toMillis(d) > 0)
  )
}

/** A positive duration variable with a default. */
export const durationVar = (name: string, fallback: Duration.Duration): Config.Config<Duration.Duration> =>
  Config.string(name).pipe(
    Config.mapOrFail((text) =>
      Option.match(parseDurationText(text), {
        onNone: () =>
          Either.left(
            invalid(name, `expected a positive duration such as 60s, 500ms or 2m, got ${JSON.stringify(text)}`)
          ),
        onSome: Either.right
      })
    ),
    Config.withDefault(fallback)
  )

/** An integer variable within bounds, with a default. */
export const integerVar = (name: string, fallback: number, min: number, max: number): Config.Config<number> =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => {
      const n = Number(text.trim())
      return Number.isInteger(n) && n >= min && n <= max && text.trim() !== ""
        ? Either.right(n)
        : Either.left(invalid(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`))
    }),
    Config.withDefault(fallback)
  )

const baseUrlVar: Config.Config<string | undefined> = Config.option(Config.string("LLM_BASE_URL")).pipe(
  Config.mapOrFail((value) => {
    if (Option.isNone(value) || value.value.trim() === "") return Either.right(undefined)
    const text = value.value.trim()
    const parsed = URL.canParse(text) ? new URL(text) : undefined
    return parsed !== undefined && (parsed.protocol === "http:" || parsed.protocol === "https:")
      ? Either.right(text.replace(/\/+$/, ""))
      : Either.left(
          invalid(
            "LLM_BASE_URL",
            `expected an http(s) URL such as https://api.openai.com/v1, got ${JSON.stringify(text)}`
          )
        )
  })
)

const apiKeyVar: Config.Config<Redacted.Redacted<string> | undefined> = Config.option(
  Config.redacted("LLM_API_KEY")
).pipe(Config.map((o) => (Option.isSome(o) && Redacted.value(o.value).trim() !== "" ? o.value : undefined)))

const modelVar: Config.Config<string> = Config.string("LLM_MODEL").pipe(
  Config.mapOrFail((text) =>
    text.trim() === "" ? Either.left(invalid("LLM_MODEL", "must not be empty")) : Either.right(text.trim())
  ),
  Config.withDefault(defaultLlmSettings.model)
)

const temperatureVar: Config.Config<number> = Config.string("LLM_TEMPERATURE").pipe(
  Config.mapOrFail((text) => {
    const n = Number(text.trim())
    return text.trim() !== "" && Number.isFinite(n) && n >= 0 && n <= 2
      ? Either.right(n)
      : Either.left(invalid("LLM_TEMPERATURE", `expected a number from 0 to 2, got ${JSON.stringify(text)}`))
  }),
  Config.withDefault(defaultLlmSettings.temperature)
)

/** Reads the LLM settings from the environment (see the module documentation). */
export const LlmConfig: Config.Config<LlmSettings> = Config.all({
  baseUrl: baseUrlVar,
  apiKey: apiKeyVar,
  model: modelVar,
  timeout: durationVar("LLM_TIMEOUT", defaultLlmSettings.timeout),
  maxRetries: integerVar("LLM_MAX_RETRIES", defaultLlmSettings.maxRetries, 0, 20),
  retryBudget: durationVar("LLM_RETRY_BUDGET", defaultLlmSettings.retryBudget),
  temperature: temperatureVar
}).pipe(Config.map((s): LlmSettings => ({ ...s, retryBaseDelay: defaultLlmSettings.retryBaseDelay })))

/**
 * API-key authentication. Keys come from `SRE_API_KEYS` (comma-separated) and/or `SRE_API_KEYS_FILE` (one key per
 * line, `#` comment lines), are registered as secrets so the log scrubber removes them, and are kept only as
 * SHA-256 digests. A presented key is hashed and compared with every configured digest with
 * `crypto.timingSafeEqual`, so neither the comparison time nor the key length tells a caller anything.
 *
 * With no key configured authentication is off (every request passes) and the server warns at start when it
 * listens on a non-loopback address.
 */
import { ApiKeyAuth, Unauthorized } from "@sre/schema"
import { ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { readFileSync } from "node:fs"
import { API_KEY_RULE, AppConfig, isAcceptableApiKey } from "../config/AppConfig.js"
import { registerSecret } from "../observability/redact.js"

/** The message of every 401: says what to send, never which part was wrong. */
export const UNAUTHORIZED_MESSAGE = "missing or invalid API key: send Authorization: Bearer <key>"

/** The 401 sent for a missing or invalid key. */
export const unauthorized: Unauthorized = Unauthorized.withMessage(UNAUTHORIZED_MESSAGE)

/** The configured API keys and how to check a presented one. */
export interface ApiKeysShape {
  /** Whether at least one key is configured (authentication is on). */
  readonly enabled: boolean
  /** How many distinct keys are configured. */
  readonly count: number
  /**
   * The id of the configured key equal to `presented` (the first 12 hex characters of its SHA-256, safe to log
   * and to use as a rate-limit bucket), or none. Takes the same time whichever key matches, if any.
   */
  readonly verify: (presented: string) => Option.Option<string>
}

/** The API keys of this process. */
export class ApiKeys extends Context.Tag("sre/ApiKeys")<ApiKeys, ApiKeysShape>() {}

const sha256 = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest()

/** Builds the key checker over plain key values (they are hashed at once; the values are not kept). */
export const makeApiKeys = (keys: ReadonlyArray<string>): ApiKeysShape => {
  const digests = [...new Set(keys)].map((key) => {
    const digest = sha256(key)
    return { digest, id: digest.toString("hex").slice(0, 12) }
  })
  return {
    enabled: digests.length > 0,
    count: digests.length,
    verify: (presented) => {
      if (digests.length === 0 || presented.length === 0 || presented.length > 4096) return Option.none()
      const candidate = sha256(presented)
      let match: string | undefined
      // compare with every key, without stopping at the first match
      for (const { digest, id } of digests) if (timingSafeEqual(candidate, digest) && match === undefined) match = id
      return Option.fromNullable(match)
    }
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or none for a missing header,
 * another scheme, or a malformed value.
 */
export const bearerToken = (header: string | undefined): Option.Option<string> => {
  if (header === undefined || header.length > 4096) return Option.none()
  const match = /^Bearer +([^\s]+) *$/i.exec(header)
  return Option.fromNullable(match?.[1])
}

/**
 * Parses an API keys file: one key per line, blank lines and lines starting with `#` ignored. A malformed line is
 * reported by its number only (never its content, which may be a mistyped key).
 */
export const parseApiKeysFile = (text: string): Either.Either<Array<string>, string> => {
  const keys: Array<string> = []
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    if (line.length === 0 || line.startsWith("#")) continue
    if (!isAcceptableApiKey(line)) return Either.left(`line ${index + 1}: ${API_KEY_RULE}`)
    keys.push(line)
  }
  return Either.right(keys)
}

const keysFileError = (message: string): ConfigError.ConfigError =>
  ConfigError.InvalidData(["SRE_API_KEYS_FILE"], message)

/** Reads the keys file named by `SRE_API_KEYS_FILE`; a missing or malformed file is a configuration error. */
export const readApiKeysFile = (path: string): Effect.Effect<Array<string>, ConfigError.ConfigError> =>
  Effect.try({
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator names this file in SRE_API_KEYS_FILE
    try: () => readFileSync(path, "utf8"),
    catch: (error) => {
      const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "unreadable"
      return keysFileError(`cannot read ${path} (${code})`)
    }
  }).pipe(
    Effect.flatMap((text) =>
      Either.match(parseApiKeysFile(text), {
        onLeft: (message) => Effect.fail(keysFileError(`${path}: ${message}`)),
        onRight: (keys) => Effect.succeed(keys)
      })
    )
  )

/** Whether a listen address only accepts connections from this machine. */
export const isLoopbackHost = (host: string): boolean => {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "")
  const v4 = h.startsWith("::ffff:") ? h.slice("::ffff:".length) : h
  const octets = v4.split(".")
  const isV4Loopback =
    octets.length === 4 && octets[0] === "127" && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
  return h === "localhost" || h === "::1" || isV4Loopback
}

/**
 * The live `ApiKeys`: reads `SRE_API_KEYS` (already in `AppConfig`) and the `SRE_API_KEYS_FILE` file, registers
 * every key with the log scrubber, and warns when the API is reachable from the network without authentication.
 */
export const ApiKeysLive: Layer.Layer<ApiKeys, ConfigError.ConfigError, AppConfig> = Layer.effect(
  ApiKeys,
  Effect.gen(function* () {
    const config = yield* AppConfig
    const fromFile = yield* Option.match(config.apiKeysFile, {
      onNone: () => Effect.succeed<Array<string>>([]),
      onSome: readApiKeysFile
    })
    const keys = [...config.apiKeys.map((key) => Redacted.value(key)), ...fromFile]
    for (const key of keys) registerSecret(key)
    const apiKeys = makeApiKeys(keys)
    if (apiKeys.enabled) {
      yield* Effect.logInfo("API key authentication enabled").pipe(Effect.annotateLogs({ api_keys: apiKeys.count }))
    } else if (!isLoopbackHost(config.host)) {
      yield* Effect.logWarning(
        `SECURITY WARNING: the API listens on ${config.host} without authentication; anyone who can reach it ` +
          "can file incidents and read every investigation. Set SRE_API_KEYS or SRE_API_KEYS_FILE, or HOST=127.0.0.1."
      )
    }
    return apiKeys
  })
)

/** `ApiKeys` over the given keys, for tests. */
export const ApiKeysTest = (keys: ReadonlyArray<string>): Layer.Layer<ApiKeys> =>
  Layer.succeed(ApiKeys, makeApiKeys(keys))

/** The check behind `ApiKeyAuth`: passes when authentication is off or the token is a configured key. */
export const checkBearer =
  (keys: ApiKeysShape) =>
  (token: Redacted.Redacted<string>): Effect.Effect<void, Unauthorized> =>
    !keys.enabled || Option.isSome(keys.verify(Redacted.value(token))) ? Effect.void : Effect.fail(unauthorized)

/**
 * The server side of the contract's `ApiKeyAuth` (bearer) middleware: passes when authentication is off or the
 * bearer token is a configured key, fails with `Unauthorized` (401) otherwise.
 */
export const ApiKeyAuthLive: Layer.Layer<ApiKeyAuth, never, ApiKeys> = Layer.effect(
  ApiKeyAuth,
  Effect.map(ApiKeys, (keys) => ApiKeyAuth.of({ bearer: checkBearer(keys) }))
)

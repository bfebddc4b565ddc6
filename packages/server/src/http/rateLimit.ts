/**
 * The API guard: per-client rate limiting (token bucket) and the API-key check in front of every route except the
 * open ones (`/health`, `/openapi.json`, `/docs`). A client is its API key when it presents a valid one, otherwise
 * its address (the socket's peer, or the last `X-Forwarded-For` hop when `TRUST_PROXY=true`), so failed
 * authentication attempts are limited per address too.
 *
 * Memory is bounded: a bucket that has refilled completely is the same as no bucket and is dropped, and at most
 * `maxClients` buckets are kept (the least recently used is evicted first).
 */
import { HttpApiBuilder, HttpServerRequest } from "@effect/platform"
import { RateLimited } from "@sre/schema"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { AppConfig } from "../config/AppConfig.js"
import { ApiKeys, bearerToken, unauthorized } from "./auth.js"
import { errorResponse } from "./middleware.js"

/** Settings of a token-bucket limiter. */
export interface TokenBucketOptions {
  /** Sustained rate: tokens added per minute. */
  readonly perMinute: number
  /** Bucket size: requests allowed at once. */
  readonly burst: number
  /** Most clients tracked at once. */
  readonly maxClients: number
}

/** The outcome of taking one token. */
export interface TakeResult {
  readonly allowed: boolean
  /** Whole tokens left after this request. */
  readonly remaining: number
  /** When refused: seconds until one token is available (at least 1). */
  readonly retryAfterSeconds: number
}

/** A set of token buckets keyed by client. Pure and synchronous; time is passed in. */
export interface TokenBuckets {
  /** Takes one token from `client`'s bucket at time `nowMs`. */
  readonly take: (client: string, nowMs: number) => TakeResult
  /** How many buckets are held. */
  readonly size: () => number
}

/** Default cap on the number of tracked clients. */
export const DEFAULT_MAX_CLIENTS = 10_000

const SWEEP_INTERVAL_MS = 30_000

interface Bucket {
  tokens: number
  updated: number
}

/** Builds token buckets: `burst` tokens each, refilled at `perMinute` per minute. */
export const makeTokenBuckets = (options: TokenBucketOptions): TokenBuckets => {
  const perMs = options.perMinute / 60_000
  const burst = Math.max(1, options.burst)
  const maxClients = Math.max(1, options.maxClients)
  const buckets = new Map<string, Bucket>()
  let lastSweep = 0

  const level = (bucket: Bucket, nowMs: number): number =>
    Math.min(burst, bucket.tokens + Math.max(0, nowMs - bucket.updated) * perMs)

  // a full bucket behaves exactly like a missing one, so dropping it changes nothing
  const sweep = (nowMs: number): void => {
    lastSweep = nowMs
    for (const [client, bucket] of buckets) if (level(bucket, nowMs) >= burst) buckets.delete(client)
  }

  return {
    size: () => buckets.size,
    take: (client, nowMs) => {
      if (nowMs - lastSweep >= SWEEP_INTERVAL_MS || nowMs < lastSweep) sweep(nowMs)
      let bucket = buckets.get(client)
      if (bucket === undefined) {
        if (buckets.size >= maxClients) sweep(nowMs)
        // still full: evict the least recently used (Map keeps insertion order; used buckets are re-inserted)
        for (const oldest of buckets.keys()) {
          if (buckets.size < maxClients) break
          buckets.delete(oldest)
        }
        bucket = { tokens: burst, updated: nowMs }
      } else {
        bucket.tokens = level(bucket, nowMs)
        bucket.updated = Math.max(bucket.updated, nowMs)
        buckets.delete(client)
      }
      buckets.set(client, bucket)
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 }
      }
      const waitMs = (1 - bucket.tokens) / perMs
      return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }
    }
  }
}

/** The process-wide rate limiter. */
export class RateLimiter extends Context.Tag("sre/RateLimiter")<
  RateLimiter,
  { readonly take: (client: string) => Effect.Effect<TakeResult> }
>() {}

/** A rate limiter with the given settings (time from the Effect `Clock`, so tests can use `TestClock`). */
export const makeRateLimiter = (options: TokenBucketOptions): Context.Tag.Service<RateLimiter> => {
  const buckets = makeTokenBuckets(options)
  return { take: (client) => Effect.map(Clock.currentTimeMillis, (now) => buckets.take(client, now)) }
}

/** The live limiter: `RATE_LIMIT_PER_MINUTE` and `RATE_LIMIT_BURST` from `AppConfig`. */
export const RateLimiterLive: Layer.Layer<RateLimiter, never, AppConfig> = Layer.effect(
  RateLimiter,
  Effect.map(AppConfig, (config) =>
    makeRateLimiter({
      perMinute: config.rateLimitPerMinute,
      burst: config.rateLimitBurst,
      maxClients: DEFAULT_MAX_CLIENTS
    })
  )
)

const pathOf = (url: string): string => {
  const q = url.indexOf("?")
  return q === -1 ? url : url.slice(0, q)
}

/** Paths that need neither a key nor a token: liveness/readiness probes and the API description. */
export const isOpenPath = (path: string): boolean =>
  path === "/health" || path === "/openapi.json" || path === "/docs" || path.startsWith("/docs/")

const plainAddress = /^[0-9A-Fa-f:.]{2,45}$/

/** Normalises an address for bucketing (`::ffff:10.0.0.1` is `10.0.0.1`); anything odd becomes "unknown". */
const normalizeAddress = (address: string): string => {
  const a = address.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "")
  return plainAddress.test(a) ? a.toLowerCase() : "unknown"
}

/**
 * The client's address: the TCP peer, or, when `trustProxy` is set, the last `X-Forwarded-For` entry (the one
 * the trusted proxy appended; earlier entries are supplied by the client and ignored).
 */
export const clientAddress = (request: HttpServerRequest.HttpServerRequest, trustProxy: boolean): string => {
  if (trustProxy) {
    const forwarded = request.headers["x-forwarded-for"]
    const last = forwarded
      ?.split(",")
      .map((part) => part.trim())
      .filter((part) => part.length > 0)
      .at(-1)
    if (last !== undefined) return normalizeAddress(last)
  }
  return Option.match(request.remoteAddress, { onNone: () => "unknown", onSome: normalizeAddress })
}

/**
 * API-level middleware in front of every route but the open ones: rate limits the client (429 with
 * `Retry-After`), then, when API keys are configured, rejects requests without a valid bearer key (401 with
 * `WWW-Authenticate: Bearer`). CORS preflights are rate limited but need no key (browsers never send one).
 * The contract's `ApiKeyAuth` middleware checks the key again on every endpoint (defence in depth).
 */
export const apiGuardMiddleware = HttpApiBuilder.middleware(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const keys = yield* ApiKeys
    const limiter = yield* RateLimiter
    return (app) =>
      // one step per request before the app: the request is read from the fiber, the key is checked once
      Effect.withFiberRuntime((fiber) => {
        const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
        if (isOpenPath(pathOf(request.url))) return app
        const keyId = keys.enabled
          ? Option.flatMap(bearerToken(request.headers["authorization"]), keys.verify)
          : Option.none<string>()
        const client = Option.isSome(keyId) ? `key:${keyId.value}` : `addr:${clientAddress(request, config.trustProxy)}`
        return Effect.flatMap(limiter.take(client), (taken) => {
          if (!taken.allowed) {
            return Effect.as(
              Effect.logWarning("rate limit exceeded").pipe(
                Effect.annotateLogs({ client, retry_after_seconds: taken.retryAfterSeconds })
              ),
              errorResponse(
                new RateLimited({
                  code: 429,
                  message: `rate limit exceeded (${config.rateLimitPerMinute}/minute, burst ${config.rateLimitBurst}); retry in ${taken.retryAfterSeconds} s`,
                  retry_after_seconds: taken.retryAfterSeconds
                })
              )
            )
          }
          if (keys.enabled && Option.isNone(keyId) && request.method !== "OPTIONS") {
            return Effect.as(
              Effect.logInfo("request rejected: missing or invalid API key").pipe(Effect.annotateLogs({ client })),
              errorResponse(unauthorized)
            )
          }
          return app
        })
      })
  })
)

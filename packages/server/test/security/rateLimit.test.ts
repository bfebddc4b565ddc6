import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { makeTokenBuckets } from "../../src/http/rateLimit.js"
import { request, startServer } from "../support.js"
import { sendRawEffect } from "./raw.js"

const KEY_A = "rate-key-a-0123456789abcdef"
const KEY_B = "rate-key-b-0123456789abcdef"

describe("token buckets (unit)", () => {
  it("allows the burst, then refills at the per-minute rate", () => {
    const buckets = makeTokenBuckets({ perMinute: 60, burst: 3, maxClients: 10 })
    const t0 = 1_000_000
    expect([1, 2, 3].map(() => buckets.take("a", t0).allowed)).toEqual([true, true, true])
    const refused = buckets.take("a", t0)
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 1 })
    expect(buckets.take("b", t0).allowed).toBe(true)
    expect(buckets.take("a", t0 + 999).allowed).toBe(false)
    expect(buckets.take("a", t0 + 2_000).allowed).toBe(true)
    // one token was left after that refill; a clock going backwards never adds more
    expect(buckets.take("a", t0 - 60_000).allowed).toBe(true)
    expect(buckets.take("a", t0 - 60_000).allowed).toBe(false)
    expect(buckets.take("a", t0 + 2_000).allowed).toBe(false)
  })

  it("never allows more than burst + rate x elapsed (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1200 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
        (perMinute, burst, gaps) => {
          const buckets = makeTokenBuckets({ perMinute, burst, maxClients: 10 })
          let now = 0
          let allowed = 0
          for (const gap of gaps) {
            now += gap
            const r = buckets.take("client", now)
            if (r.allowed) allowed++
            else {
              expect(r.retryAfterSeconds).toBeGreaterThanOrEqual(1)
              expect(r.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil(60 / perMinute) + 1)
            }
          }
          expect(allowed).toBeLessThanOrEqual(burst + Math.floor((now * perMinute) / 60_000) + 1)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("keeps at most maxClients buckets and drops idle ones (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 2_000 })), { maxLength: 500 }),
        (maxClients, steps) => {
          const buckets = makeTokenBuckets({ perMinute: 600, burst: 5, maxClients })
          let now = 0
          for (const [client, gap] of steps) {
            now += gap
            buckets.take(`c${client}`, now)
            expect(buckets.size()).toBeLessThanOrEqual(maxClients)
          }
        }
      ),
      { numRuns: 200 }
    )
    const buckets = makeTokenBuckets({ perMinute: 600, burst: 5, maxClients: 100_000 })
    for (let i = 0; i < 1000; i++) buckets.take(`ip${i}`, 0)
    expect(buckets.size()).toBe(1000)
    // everybody is refilled after a minute: the next sweep drops them all
    buckets.take("late", 60_000)
    expect(buckets.size()).toBe(1)
  })
})

describe("rate limiting (server)", () => {
  it.scoped("429 with Retry-After and retry_after_seconds past the burst; /health is exempt", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config: { rateLimitBurst: 3, rateLimitPerMinute: 6 } })
      const url = `${server.url}/api/v1/incidents`
      for (let i = 0; i < 3; i++) expect((yield* request(url)).status).toBe(200)
      const limited = yield* request(url)
      expect(limited.status).toBe(429)
      expect(limited.headers.get("retry-after")).toBe("10")
      expect(limited.body).toMatchObject({ _tag: "RateLimited", code: 429, retry_after_seconds: 10 })
      expect((limited.body as { message: string }).message).toContain("rate limit")
      expect(limited.headers.get("x-content-type-options")).toBe("nosniff")
      // cheap rejections count too: they are limited before the body checks
      const post = yield* request(url, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" })
      expect(post.status).toBe(429)
      expect((yield* request(`${server.url}/api/v1/nowhere`)).status).toBe(429)
      for (let i = 0; i < 10; i++) expect((yield* request(`${server.url}/health`)).status).toBe(200)
    })
  )

  it.scoped("limits per API key; failed attempts are limited per address", () =>
    Effect.gen(function* () {
      const server = yield* startServer({
        config: { rateLimitBurst: 2, rateLimitPerMinute: 1, apiKeys: [Redacted.make(KEY_A), Redacted.make(KEY_B)] }
      })
      const url = `${server.url}/api/v1/incidents`
      const as = (key: string) => request(url, { headers: { authorization: `Bearer ${key}` } })
      expect((yield* as(KEY_A)).status).toBe(200)
      expect((yield* as(KEY_A)).status).toBe(200)
      expect((yield* as(KEY_A)).status).toBe(429)
      expect((yield* as(KEY_B)).status).toBe(200)
      // guessing keys from one address: two 401s, then 429s
      const guesses = []
      for (let i = 0; i < 4; i++) guesses.push((yield* as(`guess-${i}-0000000000000000`)).status)
      expect(guesses).toEqual([401, 401, 429, 429])
    })
  )

  it.scoped("ignores X-Forwarded-For unless TRUST_PROXY=true, then uses its last hop", () =>
    Effect.gen(function* () {
      const direct = yield* startServer({ config: { rateLimitBurst: 1, rateLimitPerMinute: 1 } })
      const spoof = (url: string, xff: string) =>
        Effect.map(
          sendRawEffect(url, { path: "/api/v1/incidents", headers: { "x-forwarded-for": xff } }),
          (r) => r.status
        )
      expect(yield* spoof(direct.url, "10.0.0.1")).toBe(200)
      expect(yield* spoof(direct.url, "10.0.0.2")).toBe(429)

      const proxied = yield* startServer({ config: { rateLimitBurst: 1, rateLimitPerMinute: 1, trustProxy: true } })
      expect(yield* spoof(proxied.url, "10.0.0.1")).toBe(200)
      expect(yield* spoof(proxied.url, "10.0.0.2")).toBe(200)
      // a client-supplied first hop does not escape the limit: the proxy's (last) entry counts
      expect(yield* spoof(proxied.url, "1.2.3.4, 10.0.0.2")).toBe(429)
      expect(yield* spoof(proxied.url, "::ffff:10.0.0.1")).toBe(429)
    })
  )
})

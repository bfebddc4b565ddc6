import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel, Redacted } from "effect"
import { exceedsJsonDepth } from "../../src/http/middleware.js"
import { makeJsonLogger } from "../../src/observability/logging.js"
import { redactKnown, redactText, redactTextFull, redactValue, registerSecret } from "../../src/observability/redact.js"
import { postJson, request, startServer } from "../support.js"
import fc from "fast-check"
import { sendRawEffect } from "./raw.js"

const API_KEY = "sk-sre-apikey-5f0c1d2e3b4a69788796a5b4"
const LLM_KEY = "llm-secret-Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1"

describe("redaction (unit)", () => {
  it("scrubs bearer tokens, password=..., connection strings, PEM keys and API-key shapes", () => {
    expect(redactText("Authorization: Bearer abcdefgh12345678")).toBe("Authorization: Bearer [REDACTED]")
    expect(redactText("basic dXNlcjpwYXNzd29yZA==")).toBe("basic [REDACTED]")
    expect(redactText("password=hunter22 user=bob")).toBe("password=[REDACTED] user=bob")
    expect(redactText('{"db_password": "s3cr3t!", "x": 1}')).toBe('{"db_password": "[REDACTED]", "x": 1}')
    expect(redactText("API_KEY: abc123def")).toBe("API_KEY: [REDACTED]")
    expect(redactText("connect postgres://admin:pa55w0rd@db.internal:5432/app")).toBe(
      "connect postgres://admin:[REDACTED]@db.internal:5432/app"
    )
    expect(redactText("key sk-abcdefghijklmnop1234")).toBe("key [REDACTED]")
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    expect(redactText(`cert: ${pem} done`)).toBe("cert: [REDACTED PRIVATE KEY] done")
    expect(redactText("nothing to hide here: pods=3 restarts=5")).toBe("nothing to hide here: pods=3 restarts=5")
  })

  it("removes registered secrets anywhere and Kubernetes Secret data values", () => {
    registerSecret("registered-value-0042")
    expect(redactKnown("the value registered-value-0042 leaked")).toBe("the value [REDACTED] leaked")
    const secret = {
      kind: "Secret",
      metadata: { name: "db" },
      data: { password: "aHVudGVyMg==", user: "Ym9i" },
      stringData: { token: "plain" }
    }
    expect(redactValue(secret)).toEqual({
      kind: "Secret",
      metadata: { name: "db" },
      data: { password: "[REDACTED]", user: "[REDACTED]" },
      stringData: { token: "[REDACTED]" }
    })
    // nested in a list, and strings everywhere are scrubbed
    expect(redactValue({ items: [secret, { kind: "ConfigMap", data: { a: "password=x1234" } }] })).toEqual({
      items: [
        expect.objectContaining({ data: { password: "[REDACTED]", user: "[REDACTED]" } }),
        { kind: "ConfigMap", data: { a: "password=[REDACTED]" } }
      ]
    })
  })

  it("registered secrets never survive redaction, wherever they sit in the text (property)", () => {
    registerSecret(LLM_KEY)
    fc.assert(
      fc.property(fc.string(), fc.string(), (before, after) => {
        expect(redactKnown(before + LLM_KEY + after)).not.toContain(LLM_KEY)
      }),
      { numRuns: 200 }
    )
  })

  it("the fast pre-filter never skips text a credential pattern would change (property)", () => {
    // fragments of every pattern, glued in random order with random text around them
    const fragment = fc.constantFrom(
      "Bearer ",
      "basic ",
      "BASIC\t",
      "sk-",
      "SK-",
      "password",
      "PassWd",
      "secret",
      "token",
      "api_key",
      "api-key",
      "apikey",
      "access_key",
      "private-key",
      "=",
      ": ",
      "://",
      "user:pw@",
      "-----BEGIN RSA PRIVATE KEY-----",
      "-----END RSA PRIVATE KEY-----",
      "abcdefghijklmnop",
      "12345678"
    )
    const text = fc
      .array(fc.oneof(fragment, fc.string({ maxLength: 12 })), { maxLength: 12 })
      .map((parts) => parts.join(""))
    fc.assert(
      fc.property(text, (t) => {
        expect(redactText(t)).toBe(redactTextFull(t))
      }),
      { numRuns: 3000 }
    )
    // and plain log values pass through untouched
    expect(redactText("/api/v1/incidents/6f1c2d3e-0000-4000-8000-000000000000")).toBe(
      "/api/v1/incidents/6f1c2d3e-0000-4000-8000-000000000000"
    )
  })

  it("JSON depth scan agrees with the real nesting depth (property)", () => {
    const depth = (v: unknown): number =>
      Array.isArray(v)
        ? 1 + Math.max(0, ...v.map(depth))
        : v !== null && typeof v === "object"
          ? 1 + Math.max(0, ...Object.values(v).map(depth))
          : 0
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, limit) => {
        expect(exceedsJsonDepth(JSON.stringify(value), limit)).toBe(depth(value) > limit)
      }),
      { numRuns: 500 }
    )
  })
})

describe("secrets never leak (server)", () => {
  it.scoped("API keys and an LLM key stay out of logs, responses and /health", () =>
    Effect.gen(function* () {
      registerSecret(LLM_KEY)
      const lines: Array<string> = []
      const logger = Logger.replace(
        Logger.defaultLogger,
        makeJsonLogger({ serviceName: "t", format: "json", minimumLevel: LogLevel.All, write: (l) => lines.push(l) })
      )
      const texts: Array<string> = []
      const headerTexts: Array<string> = []
      yield* Effect.gen(function* () {
        const server = yield* startServer({
          config: { apiKeys: [Redacted.make(API_KEY)], rateLimitBurst: 1000 },
          // an agent that logs the secret and fails with it in the message
          agent: () =>
            Effect.gen(function* () {
              yield* Effect.logError(`calling the LLM with key ${LLM_KEY} and Authorization: Bearer ${API_KEY}`)
              return yield* Effect.die(new Error(`LLM rejected key ${LLM_KEY}`))
            })
        })
        const auth = { authorization: `Bearer ${API_KEY}` }
        const responses = [
          yield* request(`${server.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${API_KEY}x` } }),
          yield* request(`${server.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${LLM_KEY}` } }),
          yield* request(`${server.url}/api/v1/incidents/${API_KEY}`, { headers: auth }),
          yield* request(`${server.url}/api/v1/incidents?cursor=${LLM_KEY}`, { headers: auth }),
          yield* request(`${server.url}/api/v1/${LLM_KEY}`, { headers: auth }),
          yield* postJson(`${server.url}/api/v1/incidents`, { description: 42, source: LLM_KEY }, auth),
          yield* postJson(`${server.url}/api/v1/incidents`, { description: "checkout is down" }, auth),
          yield* request(`${server.url}/health`),
          yield* request(`${server.url}/openapi.json`)
        ]
        yield* server.runner.awaitIdle
        const list = yield* request(`${server.url}/api/v1/incidents`, { headers: auth })
        responses.push(list)
        for (const r of responses) {
          texts.push(r.text)
          r.headers.forEach((value, name) => headerTexts.push(`${name}: ${value}`))
        }
        const raw = yield* sendRawEffect(server.url, { path: "/api/v1/incidents", headers: { "x-api-key": API_KEY } })
        texts.push(raw.text)
      }).pipe(Effect.provide(logger))

      expect(lines.length).toBeGreaterThan(5)
      const logs = lines.join("\n")
      expect(logs).toContain("request rejected: missing or invalid API key")
      for (const secret of [API_KEY, LLM_KEY]) {
        expect(logs).not.toContain(secret)
        for (const text of texts) expect(text).not.toContain(secret)
        for (const header of headerTexts) expect(header).not.toContain(secret)
      }
      // the failed incident's error message is generic, not the agent's exception
      const incidents = JSON.parse(texts.at(-2) ?? "{}") as { items: Array<{ error_message?: string }> }
      for (const i of incidents.items) expect(i.error_message ?? "").not.toContain(LLM_KEY)
    })
  )
})

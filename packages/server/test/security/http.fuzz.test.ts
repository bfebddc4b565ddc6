/**
 * Property-based fuzzing of the real server on loopback: whatever the body, path, query, headers or encoding, the
 * answer is a 2xx for valid input or a 4xx with the `{ code, message }` JSON shape, never a 5xx, and the server
 * keeps answering `/health`. Run counts are bounded so the file stays well under a minute.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { startServer } from "../support.js"
import { isContractErrorBody, type RawRequest, sendBytes, sendRaw } from "./raw.js"

const KEY = "fuzz-key-0123456789abcdef"
const INCIDENTS = "/api/v1/incidents"
const RUNS = 60
// plenty of requests per test: keep the limiter out of the way (it has its own tests)
const config = { rateLimitBurst: 1_000_000, rateLimitPerMinute: 1_000_000 } // explicit: the limiter has its own tests

/** Sends one request and checks the invariant; returns the status. */
const check = async (base: string, req: RawRequest): Promise<number> => {
  const res = await sendRaw(base, req)
  const where = `${req.method ?? "GET"} ${req.path.slice(0, 120)} -> ${res.status} ${res.text.slice(0, 200)}`
  if (res.status >= 500 || res.status < 200) throw new Error(`server error: ${where}`)
  if (res.status >= 400 && !isContractErrorBody(res)) throw new Error(`not a {code, message} error: ${where}`)
  if (res.status >= 400 && res.headers["x-content-type-options"] !== "nosniff") throw new Error(`no headers: ${where}`)
  return res.status
}

const post = (body: Buffer | string, headers: Record<string, string> = {}): RawRequest => ({
  method: "POST",
  path: INCIDENTS,
  headers: { "content-type": "application/json", ...headers },
  body
})

const healthy = async (base: string) => {
  const res = await sendRaw(base, { path: "/health" })
  expect(res.status).toBe(200)
}

const nested = (depth: number, open: string, close: string, inner = "1") =>
  open.repeat(depth) + inner + close.repeat(depth)

/** Arbitrary JSON-ish bodies, most of them almost valid. */
const jsonBody: fc.Arbitrary<string> = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify({ description: v })),
  fc.anything().map((v) => JSON.stringify({ description: "x", source: v }) ?? "null"),
  fc.record({ description: fc.string({ unit: "binary", maxLength: 300 }) }).map((v) => JSON.stringify(v)),
  fc.string({ unit: "binary" }).map((s) => `{"description":"${s}"}`),
  fc
    .string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)) })
    .map((s) => `{"description":"ok${s}"}`),
  fc.constantFrom(
    '{"description":"a","description":5}',
    '{"description":5,"description":"b"}',
    '{"description":1e999}',
    '{"description":"x","source":-0}',
    `{"description":${"9".repeat(400)}}`,
    '{"description":"\\ud800"}',
    '{"description":"\\udfff\\ud800x"}',
    '{"description":"\\u0000"}',
    '{"__proto__":{"polluted":true},"description":"proto"}',
    '{"constructor":{"prototype":{"polluted":true}},"description":"ctor"}',
    '{"description":"x"',
    '\uFEFF{"description":"bom"}',
    "[]",
    "true",
    '"description"',
    "",
    " ",
    "\u0000"
  )
)

/** Random bytes spliced into an otherwise valid body (invalid UTF-8, NULs, lone continuation bytes, ...). */
const byteBody: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [])
  )
  .map(([random, invalid]) =>
    Buffer.concat([Buffer.from('{"description":"'), Buffer.from(random), Buffer.from(invalid), Buffer.from('"}')])
  )

const segment: fc.Arbitrary<string> = fc.oneof(
  fc.webSegment(),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom(
    "..",
    ".",
    "%2e%2e",
    "%2E%2E%2F",
    "%00",
    "%ff",
    "%",
    "%zz",
    "%c0%ae",
    ";",
    "00000000-0000-4000-8000-000000000000",
    "00000000-0000-4000-8000-00000000000G",
    "events",
    "incidents",
    "~",
    "*",
    "%20"
  )
)

const path: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      "/",
      "/api/v1/",
      "/api/v1/incidents/",
      "//",
      "/api/v1/incidents/00000000-0000-4000-8000-000000000000/"
    ),
    fc.array(segment, { maxLength: 6 }),
    fc.boolean()
  )
  .map(([prefix, segments, trailing]) => prefix + segments.join("/") + (trailing ? "/" : ""))

const queryValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom(
    "",
    "0",
    "1",
    "100",
    "101",
    "-1",
    "1e2",
    "0x10",
    "NaN",
    "Infinity",
    "1.5",
    "%",
    "%00",
    "x".repeat(300)
  ),
  fc.constantFrom("open", "investigating", "completed", "failed", "OPEN", "open%00")
)

const query: fc.Arbitrary<string> = fc
  .array(fc.tuple(fc.constantFrom("status", "limit", "cursor", "x", "status[]", "limit[0]", ""), queryValue), {
    maxLength: 5
  })
  .map((pairs) => (pairs.length === 0 ? "" : "?" + pairs.map(([k, v]) => `${k}=${v}`).join("&")))

const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 200
})

const contentType: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "application/json",
    "APPLICATION/JSON",
    "application/json; charset=utf-8",
    "application/json;charset=utf-16",
    "application/json ; charset=latin1",
    "application/vnd.api+json",
    "application/+json",
    "application/jsonx",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "text/plain",
    "text/json",
    "",
    ";",
    "*/*"
  ),
  headerValue
)

describe("HTTP fuzzing: bad input never gives a 5xx", () => {
  it.scoped("bodies: random JSON, wrong types, duplicates, huge numbers, control characters, invalid UTF-8", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config })
      yield* Effect.promise(async () => {
        await fc.assert(
          fc.asyncProperty(jsonBody, async (body) => {
            await check(server.url, post(body))
          }),
          { numRuns: RUNS * 4 }
        )
        await fc.assert(
          fc.asyncProperty(byteBody, async (body) => {
            await check(server.url, post(body))
          }),
          { numRuns: RUNS }
        )
        // the prototype was not polluted by `__proto__` bodies
        expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
        await healthy(server.url)
      })
    })
  )

  it.scoped("sizes: deep nesting, long strings around 10000 characters, bodies around 64 KiB", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config })
      yield* Effect.promise(async () => {
        for (const depth of [1_000, 10_000, 30_000]) {
          expect(await check(server.url, post(nested(depth, "[", "]")))).toBe(400)
          // 5 bytes a level: the deepest of these is over the body limit as well
          expect([400, 413]).toContain(
            await check(server.url, post(`{"description":"x","source":${nested(depth, '{"a":', "}")}}`))
          )
          expect(await check(server.url, post(`{"description":${nested(depth, "[", "]", '"x"')}}`))).toBe(400)
        }
        const statusFor = async (description: string) => check(server.url, post(JSON.stringify({ description })))
        expect(await statusFor("x".repeat(9_999))).toBe(202)
        expect(await statusFor("x".repeat(10_000))).toBe(202)
        expect(await statusFor("x".repeat(10_001))).toBe(400)
        expect(await statusFor("\u{1F600}".repeat(5_000))).toBe(202) // 10000 UTF-16 units, 20000 bytes
        expect(await statusFor("\u{1F600}".repeat(5_001))).toBe(400)
        expect(await statusFor("é".repeat(10_000))).toBe(202)
        const limit = 64 * 1024
        for (const size of [limit - 1, limit, limit + 1, limit * 4]) {
          const padding = size - '{"description":"x","pad":""}'.length
          const body = `{"description":"x","pad":"${"p".repeat(padding)}"}`
          expect(Buffer.byteLength(body)).toBe(size)
          const status = await check(server.url, post(body))
          expect(status).toBe(size > limit ? 413 : 202)
          // the same body without a content-length (chunked) is cut off at the limit as well: the platform stops
          // reading and drops the connection (the client sees a reset rather than the 413; the server is fine)
          const chunked = await sendRaw(server.url, {
            ...post(body),
            headers: { "content-type": "application/json", "transfer-encoding": "chunked" }
          }).then(
            (res) => res.status,
            (error: unknown) => (/hang up|ECONNRESET|EPIPE/.test(String(error)) ? 413 : 0)
          )
          expect(chunked).toBe(size > limit ? 413 : 202)
        }
        await healthy(server.url)
      })
    })
  )

  it.scoped("paths and query strings: random segments, percent-encoding, '..', overlong", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config })
      yield* Effect.promise(async () => {
        await fc.assert(
          fc.asyncProperty(
            path,
            fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"),
            async (p, method) => {
              if (method === "HEAD") {
                const res = await sendRaw(server.url, { method, path: p })
                expect(res.status).toBeLessThan(500)
              } else
                await check(server.url, {
                  method,
                  path: p,
                  headers: { "content-type": "application/json" },
                  ...(method === "GET" ? {} : { body: "{}" })
                })
            }
          ),
          { numRuns: RUNS * 3 }
        )
        await fc.assert(
          fc.asyncProperty(query, async (q) => {
            await check(server.url, { path: INCIDENTS + q })
          }),
          { numRuns: RUNS * 3 }
        )
        for (const long of [2_000, 8_000, 15_000]) {
          await check(server.url, { path: `${INCIDENTS}/${"a".repeat(long)}` })
          await check(server.url, { path: `${INCIDENTS}?cursor=${"c".repeat(long)}` })
        }
        await healthy(server.url)
      })
    })
  )

  it.scoped("headers and encodings: content-type variants, content-length lies, huge headers, compressed bodies", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config })
      yield* Effect.promise(async () => {
        await fc.assert(
          fc.asyncProperty(contentType, fc.oneof(fc.json(), fc.constant('{"description":"ok"}')), async (ct, body) => {
            await check(server.url, { ...post(body), headers: { "content-type": ct } })
          }),
          { numRuns: RUNS * 2 }
        )
        await fc.assert(
          fc.asyncProperty(
            fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,30}$/), headerValue, { maxKeys: 8 }),
            fc.constantFrom(
              "authorization",
              "x-correlation-id",
              "accept",
              "accept-encoding",
              "origin",
              "x-forwarded-for",
              "cookie"
            ),
            headerValue,
            async (extra, name, value) => {
              await check(server.url, {
                ...post('{"description":"h"}'),
                headers: { "content-type": "application/json", ...extra, [name]: value }
              })
            }
          ),
          { numRuns: RUNS * 2 }
        )
        // encodings the server does not speak are not decoded, so the body is not JSON
        for (const encoding of ["gzip", "deflate", "br", "identity", "x-unknown"]) {
          await check(server.url, {
            ...post(Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0])),
            headers: { "content-type": "application/json", "content-encoding": encoding }
          })
        }
        await check(server.url, {
          ...post(Buffer.from('{"description":"utf16"}', "utf16le")),
          headers: { "content-type": "application/json; charset=utf-16le" }
        })
        // a header just below Node's 16 KiB limit reaches the app; above it Node answers 431 itself
        await check(server.url, {
          ...post('{"description":"big header"}'),
          headers: { "content-type": "application/json", "x-big": "b".repeat(15_000) }
        })
        const tooBig = await sendRaw(server.url, { path: "/health", headers: { "x-big": "b".repeat(20_000) } })
        expect(tooBig.status).toBe(431)

        // content-length lies, over a bare socket
        const raw = (head: string, body = "") => Buffer.from(`${head}\r\n\r\n${body}`, "latin1")
        const host = `Host: ${new URL(server.url).host}\r\nConnection: close`
        const lies = [
          // says more than it sends: the server waits, then the client goes away — no answer needed, no crash
          raw(
            `POST ${INCIDENTS} HTTP/1.1\r\n${host}\r\nContent-Type: application/json\r\nContent-Length: 100`,
            '{"description":"short"}'
          ),
          // says less: the body is cut, so it is not valid JSON
          raw(
            `POST ${INCIDENTS} HTTP/1.1\r\n${host}\r\nContent-Type: application/json\r\nContent-Length: 5`,
            '{"description":"longer"}'
          ),
          raw(
            `POST ${INCIDENTS} HTTP/1.1\r\n${host}\r\nContent-Type: application/json\r\nContent-Length: 999999999999`,
            "{}"
          ),
          raw(`POST ${INCIDENTS} HTTP/1.1\r\n${host}\r\nContent-Type: application/json\r\nContent-Length: -1`, "{}"),
          raw(`POST ${INCIDENTS} HTTP/1.1\r\n${host}\r\nContent-Type: application/json\r\nContent-Length: abc`, "{}"),
          raw(
            `POST ${INCIDENTS} HTTP/1.1\r\n${host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3`,
            "{}"
          ),
          raw(
            `POST ${INCIDENTS} HTTP/1.1\r\n${host}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked`,
            "2\r\n{}\r\n0\r\n\r\n"
          ),
          raw(
            `POST ${INCIDENTS} HTTP/1.1\r\n${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`,
            "zz\r\n{}\r\n0\r\n\r\n"
          ),
          raw(`GET ${INCIDENTS} HTTP/1.1\r\n${host}\r\nX-Bad: a\u0000b`),
          raw(`GET /\u00ff HTTP/1.1\r\n${host}`),
          raw(`GARBAGE`),
          raw(`GET ${INCIDENTS} HTTP/9.9\r\n${host}`)
        ]
        for (const bytes of lies) {
          const res = await sendBytes(server.url, bytes, 600)
          // 0: the server waited for the promised bytes; 400/413: Node's parser or the app refused; never 5xx
          expect(res.status === 0 || (res.status >= 400 && res.status < 500)).toBe(true)
          if (res.status >= 400 && res.text.includes("{")) {
            expect(isContractErrorBody({ status: res.status, text: res.text.slice(res.text.indexOf("{")) })).toBe(true)
          }
        }
        await healthy(server.url)
      })
    })
  )

  it.scoped("with authentication on, no fuzzed request reaches an incident endpoint without the key", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config: { ...config, apiKeys: [Redacted.make(KEY)] } })
      yield* Effect.promise(async () => {
        await fc.assert(
          fc.asyncProperty(
            path,
            fc.oneof(
              headerValue,
              fc.constantFrom(
                `Bearer ${KEY}x`,
                `Bearer  ${KEY}x`,
                `Bearer ${KEY.slice(1)}`,
                `Basic ${KEY}`,
                "Bearer",
                ""
              )
            ),
            async (p, authorization) => {
              const status = await check(server.url, { path: p, headers: { authorization } })
              const open = p === "/health" || p === "/openapi.json" || p === "/docs"
              if (!open) expect(status).toBe(401)
            }
          ),
          { numRuns: RUNS * 2 }
        )
        expect(
          (await sendRaw(server.url, { path: INCIDENTS, headers: { authorization: `Bearer ${KEY}` } })).status
        ).toBe(200)
        await healthy(server.url)
      })
    })
  )
})

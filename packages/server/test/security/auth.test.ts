import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ApiKeyAuth } from "@sre/schema"
import { Effect, Either, Exit, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { makeClient } from "../../../cli/src/client.js"
import { AppConfig, testAppConfig } from "../../src/config/AppConfig.js"
import {
  ApiKeyAuthLive,
  ApiKeys,
  ApiKeysLive,
  ApiKeysTest,
  bearerToken,
  checkBearer,
  isLoopbackHost,
  makeApiKeys,
  parseApiKeysFile,
  UNAUTHORIZED_MESSAGE
} from "../../src/http/auth.js"
import { makeJsonLogger } from "../../src/observability/logging.js"
import { postJson, request, startServer } from "../support.js"
import { sendRawEffect } from "./raw.js"

const KEY = "test-key-0123456789abcdef"
const OTHER_KEY = "other-key-0123456789abcdef"

const expectUnauthorized = (res: { status: number; headers: Headers; body: unknown }) => {
  expect(res.status).toBe(401)
  expect(res.headers.get("www-authenticate")).toBe("Bearer")
  expect(res.body).toEqual({ _tag: "Unauthorized", code: 401, message: UNAUTHORIZED_MESSAGE })
}

describe("API keys (unit)", () => {
  it("matches configured keys only, and gives a stable short id", () => {
    const keys = makeApiKeys([KEY, OTHER_KEY, KEY])
    expect(keys.enabled).toBe(true)
    expect(keys.count).toBe(2)
    const id = keys.verify(KEY)
    expect(Option.isSome(id)).toBe(true)
    expect(Option.getOrThrow(id)).toMatch(/^[0-9a-f]{12}$/)
    expect(Option.getOrThrow(id)).not.toContain(KEY)
    expect(keys.verify(OTHER_KEY)).not.toEqual(id)
    for (const wrong of ["", KEY.slice(0, -1), KEY + "x", KEY.toUpperCase(), " " + KEY, "x".repeat(5000)]) {
      expect(Option.isNone(keys.verify(wrong))).toBe(true)
    }
    const off = makeApiKeys([])
    expect(off.enabled).toBe(false)
    expect(Option.isNone(off.verify(KEY))).toBe(true)
  })

  it("parses Authorization headers strictly", () => {
    expect(bearerToken(`Bearer ${KEY}`)).toEqual(Option.some(KEY))
    expect(bearerToken(`bearer ${KEY}`)).toEqual(Option.some(KEY))
    for (const bad of [undefined, "", "Bearer", "Bearer ", `Basic ${KEY}`, `Bearer ${KEY} extra`, `${KEY}`]) {
      expect(bearerToken(bad)).toEqual(Option.none())
    }
  })

  it("reads keys files with comments and reports a bad line by number only", () => {
    expect(parseApiKeysFile(`# ops keys\n\n${KEY}\r\n  ${OTHER_KEY}  \n# end\n`)).toEqual(
      Either.right([KEY, OTHER_KEY])
    )
    const bad = parseApiKeysFile(`${KEY}\nshort-secret\n`)
    expect(Either.isLeft(bad)).toBe(true)
    expect(Either.getLeft(bad).pipe(Option.getOrThrow)).toContain("line 2")
    expect(Either.getLeft(bad).pipe(Option.getOrThrow)).not.toContain("short-secret")
  })

  it("tells loopback addresses from the others", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) {
      expect(isLoopbackHost(h)).toBe(true)
    }
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.com", "128.0.0.1"]) expect(isLoopbackHost(h)).toBe(false)
  })

  it.effect("the contract's ApiKeyAuth middleware: open without keys, 401 for a wrong key", () =>
    Effect.gen(function* () {
      const withKeys = checkBearer(makeApiKeys([KEY]))
      expect(Exit.isSuccess(yield* Effect.exit(withKeys(Redacted.make(KEY))))).toBe(true)
      const wrong = yield* Effect.flip(withKeys(Redacted.make("nope")))
      expect(wrong).toMatchObject({ _tag: "Unauthorized", code: 401, message: UNAUTHORIZED_MESSAGE })
      const open = checkBearer(makeApiKeys([]))
      expect(Exit.isSuccess(yield* Effect.exit(open(Redacted.make(""))))).toBe(true)
      // the layer wires the same check into the contract's tag
      const tag = yield* Effect.provide(ApiKeyAuth, ApiKeyAuthLive.pipe(Layer.provide(ApiKeysTest([KEY]))))
      expect(typeof tag.bearer).toBe("function")
    })
  )

  it.effect("reads SRE_API_KEYS_FILE at start and warns about an unauthenticated public listener", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "sre-keys-"))
      const file = join(dir, "keys")
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- test fixture in a fresh temp dir / the repo
      writeFileSync(file, `# keys\n${OTHER_KEY}\n`)
      const lines: Array<string> = []
      const logger = Logger.replace(
        Logger.defaultLogger,
        makeJsonLogger({ serviceName: "t", format: "json", minimumLevel: LogLevel.All, write: (l) => lines.push(l) })
      )
      const build = (config: Parameters<typeof testAppConfig>[0]) =>
        Effect.provide(ApiKeys, ApiKeysLive.pipe(Layer.provide(Layer.succeed(AppConfig, testAppConfig(config))))).pipe(
          Effect.provide(logger)
        )
      const keys = yield* build({ apiKeys: [Redacted.make(KEY)], apiKeysFile: Option.some(file) })
      expect(keys.count).toBe(2)
      expect(Option.isSome(keys.verify(OTHER_KEY))).toBe(true)
      expect(lines.join("\n")).not.toContain(OTHER_KEY)

      lines.length = 0
      const open = yield* build({ host: "0.0.0.0" })
      expect(open.enabled).toBe(false)
      const warning = lines
        .map((l) => JSON.parse(l) as { level: string; message: string })
        .find((l) => l.level === "warn")
      expect(warning?.message).toContain("SECURITY WARNING")
      lines.length = 0
      yield* build({ host: "127.0.0.1" })
      expect(lines.some((l) => l.includes("SECURITY WARNING"))).toBe(false)

      const missing = yield* Effect.flip(build({ apiKeysFile: Option.some(join(dir, "nope")) }))
      expect(String(missing)).toContain("SRE_API_KEYS_FILE")
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- test fixture in a fresh temp dir / the repo
      writeFileSync(file, "too-short\n")
      const malformed = yield* Effect.flip(build({ apiKeysFile: Option.some(file) }))
      expect(String(malformed)).toContain("line 1")
    })
  )
})

describe("API key authentication (server)", () => {
  it.scoped("without keys every endpoint is open", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      expect((yield* postJson(`${server.url}/api/v1/incidents`, { description: "open" })).status).toBe(202)
      expect((yield* request(`${server.url}/api/v1/incidents`)).status).toBe(200)
    })
  )

  it.scoped("with keys: 401 + WWW-Authenticate without a valid key, 2xx with one; health and docs stay open", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config: { apiKeys: [Redacted.make(KEY), Redacted.make(OTHER_KEY)] } })
      const url = `${server.url}/api/v1/incidents`
      expectUnauthorized(yield* request(url))
      expectUnauthorized(yield* postJson(url, { description: "no key" }))
      expectUnauthorized(
        yield* postJson(url, { description: "bad key" }, { authorization: "Bearer wrong-key-000000000000" })
      )
      expectUnauthorized(yield* request(url, { headers: { authorization: `Basic ${KEY}` } }))
      expectUnauthorized(yield* request(url, { headers: { authorization: KEY } }))
      expectUnauthorized(yield* request(`${url}/00000000-0000-4000-8000-000000000000`))
      expectUnauthorized(yield* request(`${url}/00000000-0000-4000-8000-000000000000/events`))
      // unknown routes and bad bodies do not tell an anonymous caller anything either
      expectUnauthorized(yield* request(`${server.url}/api/v1/nowhere`))
      expectUnauthorized(yield* request(url, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }))
      // nothing was created
      expect((yield* server.repo.list({ limit: 10 })).items).toEqual([])

      const created = yield* postJson(url, { description: "with key" }, { authorization: `Bearer ${KEY}` })
      expect(created.status).toBe(202)
      const list = yield* request(url, { headers: { authorization: `Bearer ${OTHER_KEY}` } })
      expect(list.status).toBe(200)
      expect(
        (yield* request(`${server.url}/api/v1/nowhere`, { headers: { authorization: `Bearer ${KEY}` } })).status
      ).toBe(404)

      for (const open of ["/health", "/openapi.json", "/docs"]) {
        expect((yield* request(`${server.url}${open}`)).status).toBe(200)
      }
      // odd spellings of the path never reach a handler without a key
      for (const path of [
        "//api/v1/incidents",
        "/api/v1//incidents",
        "/api/v1/incidents/",
        "/API/V1/incidents",
        "/api/v1/./incidents",
        "/api/v1/x/../incidents",
        "/%61pi/v1/incidents"
      ]) {
        const res = yield* sendRawEffect(server.url, { path })
        expect([401, 404]).toContain(res.status)
      }
    })
  )

  it.scoped("the OpenAPI document declares the bearer scheme on the incident endpoints only", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config: { apiKeys: [Redacted.make(KEY)] } })
      const spec = yield* request(`${server.url}/openapi.json`)
      const doc = spec.body as {
        components: { securitySchemes: Record<string, { type: string; scheme: string }> }
        paths: Record<string, Record<string, { security?: Array<Record<string, Array<string>>> }>>
      }
      expect(doc.components.securitySchemes["bearer"]).toMatchObject({ type: "http", scheme: "bearer" })
      expect(doc.paths["/api/v1/incidents"]?.["post"]?.security).toEqual([{ bearer: [] }])
      expect(doc.paths["/api/v1/incidents/{id}"]?.["get"]?.security).toEqual([{ bearer: [] }])
      expect(doc.paths["/health"]?.["get"]?.security ?? []).toEqual([])
    })
  )

  it.scoped("the CLI's derived client works with the key and gets Unauthorized without it", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config: { apiKeys: [Redacted.make(KEY)] } })
      const good = yield* makeClient({ server: server.url, apiKey: Option.some(Redacted.make(KEY)) })
      const created = yield* good.incidents.create({ payload: { description: "from the client" } })
      const page = yield* good.incidents.list({ urlParams: {} })
      expect(page.items.map((i) => i.id)).toContain(created.incident_id)
      const anonymous = yield* makeClient({ server: server.url, apiKey: Option.none() })
      const error = yield* Effect.flip(anonymous.incidents.list({ urlParams: {} }))
      expect(error).toMatchObject({ _tag: "Unauthorized", code: 401 })
      const open = yield* makeClient({ server: server.url, apiKey: Option.none() })
      expect((yield* open.system.health()).status).toBe("ok")
    }).pipe(Effect.provide(FetchHttpClient.layer))
  )
})

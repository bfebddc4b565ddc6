/**
 * `list`, `show` (full id, unique / ambiguous / unknown prefix) and `health` against the real server, in text
 * and JSON; plus the error messages and exit codes: unreachable server, 404, server-side 400, 401.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { closedPortUrl, jsonError, startServer, startStub, type TestServer } from "./support/server.js"
import { buildBundle, decodeJson, runSre, tempConfigHome } from "./support/run.js"
import { Incident, IncidentPage, NewIncidentResponse } from "@sre/schema"

let server: TestServer
let entry: string
const configHome = tempConfigHome()
const sre = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  runSre(args, { entry, configHome, env: { SRE_SERVER_URL: server.url, ...env } })

const parsePage = (text: string): IncidentPage => decodeJson(IncidentPage, text)

const file = async (description: string): Promise<string> => {
  const res = await fetch(`${server.url}/api/v1/incidents`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ description })
  })
  return decodeJson(NewIncidentResponse, await res.text()).incident_id
}

const waitUntilDone = async (id: string): Promise<void> => {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${server.url}/api/v1/incidents/${id}`)
    const body = decodeJson(Incident, await res.text())
    if (body.status === "completed" || body.status === "failed") return
    await new Promise((r) => setTimeout(r, 50))
  }
}

let ids: Array<string> = []

beforeAll(async () => {
  entry = buildBundle()
  server = await startServer()
  // 18 incidents: at least two share a first hex digit (pigeonhole), which gives an ambiguous prefix
  ids = await Promise.all(
    Array.from({ length: 18 }, (_, i) => file(`${i % 3 === 0 ? "FAIL " : ""}incident number ${i}`))
  )
  await Promise.all(ids.map(waitUntilDone))
})
afterAll(() => server.close())

describe("sre list", () => {
  it("--output json prints the API's page", async () => {
    const r = await sre(["list", "--output", "json", "--limit", "5"])
    expect(r.code).toBe(0)
    const page = parsePage(r.stdout)
    expect(page.items).toHaveLength(5)
    expect(page.next_cursor).toEqual(expect.any(String))
    expect(page.items[0]?.description).toBe("incident number 17")
  })

  it("prints a table with short ids, status, age and confidence", async () => {
    const r = await sre(["list", "--limit", "3"])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split("\n")
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+AGE\s+CONFIDENCE\s+DESCRIPTION$/)
    expect(lines[1]).toMatch(/^[0-9a-f]{8}\s+completed\s+\d+s\s+high\s+incident number 17$/)
    expect(lines.at(-1)).toContain("(more: sre list --limit 6)")
  })

  it("--status filters", async () => {
    const r = await sre(["list", "--status", "failed", "-o", "json"])
    const page = parsePage(r.stdout)
    expect(page.items).toHaveLength(6)
    expect(page.items.every((i) => i.status === "failed")).toBe(true)
  })

  it("rejects a bad --status as a usage error (exit 1)", async () => {
    const r = await sre(["list", "--status", "weird"])
    expect(r.code).toBe(1)
  })
})

describe("sre show", () => {
  it("shows the full report by full id, and by unique prefix", async () => {
    const id = ids[1] ?? ""
    const full = await sre(["show", id])
    expect(full.code).toBe(0)
    expect(full.stdout).toContain(`Incident ${id}  completed`)
    expect(full.stdout).toContain("Root cause")

    const all = parsePage((await sre(["list", "-o", "json", "--limit", "100"])).stdout).items.map((i) => i.id)
    // the shortest prefix of `id` that no other id shares
    let n = 1
    while (all.filter((other) => other.startsWith(id.slice(0, n))).length > 1) n++
    const byPrefix = await sre(["show", id.slice(0, n), "-o", "json"])
    expect(byPrefix.code).toBe(0)
    expect(JSON.parse(byPrefix.stdout)).toMatchObject({ id, description: "incident number 1" })
  })

  it("lists the candidates of an ambiguous prefix", async () => {
    const all = parsePage((await sre(["list", "-o", "json", "--limit", "100"])).stdout).items.map((i) => i.id)
    const digit = [..."0123456789abcdef"].find((d) => all.filter((id) => id.startsWith(d)).length > 1) ?? "0"
    const matching = all.filter((id) => id.startsWith(digit))
    const r = await sre(["show", digit])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`id prefix "${digit}" is ambiguous: ${matching.length} incidents match`)
    for (const id of matching.slice(0, 10)) expect(r.stderr).toContain(id)
  })

  it("says when no incident matches (prefix, full id, not an id)", async () => {
    const all = parsePage((await sre(["list", "-o", "json", "--limit", "100"])).stdout).items.map((i) => i.id)
    const unused = ["00", "ff", "0f", "f0", "a0", "0a"].find((p) => !all.some((id) => id.startsWith(p))) ?? "0000000"
    const none = await sre(["show", unused])
    expect(none.code).toBe(1)
    expect(none.stderr).toBe(`sre: no incident id starts with "${unused}"\n`)

    const missing = await sre(["show", "00000000-0000-4000-8000-000000000000"])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe("sre: incident 00000000-0000-4000-8000-000000000000 not found\n")

    const bad = await sre(["show", "not-an-id!"])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("is not an incident id")
  })

  it("exits 2 for a failed investigation", async () => {
    const r = await sre(["show", ids[0] ?? ""])
    expect(r.code).toBe(2)
    expect(r.stdout).toContain("mock agent: the cluster API is unreachable")
  })
})

describe("sre health", () => {
  it("prints a summary, or the API's JSON", async () => {
    const text = await sre(["health"])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`Server   ${server.url}  ok`)
    expect(text.stdout).toMatch(/store\s+store\s+ok/)
    const json = await sre(["health", "-o", "json"])
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "ok", version: "1.0.0" })
  })
})

describe("errors", () => {
  it("unreachable server: names the URL and how to change it, exit 1, no stack trace", async () => {
    const url = await closedPortUrl()
    const r = await sre(["list"], { SRE_SERVER_URL: url })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    const lines = r.stderr.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`cannot reach the SRE server at ${url} (ECONNREFUSED)`)
    expect(lines[0]).toContain("--server <url>, SRE_SERVER_URL or `sre config set server <url>`")
  })

  it("a bad server URL is a one-line error", async () => {
    const r = await sre(["list", "--server", "localhost:8080"])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      'sre: invalid server URL from --server: "localhost:8080" must start with http:// or https://\n'
    )
  })

  it("401 says how to set the key; 400 prints the server's message; 503 the retry delay", async () => {
    const stub = await startStub((req, res) => {
      if (req.headers.authorization === undefined) return jsonError(res, 401, "Unauthorized", "missing API key")
      if (req.method === "POST") return jsonError(res, 400, "ValidationError", "description: mentions no workload")
      res.writeHead(503, { "content-type": "application/json" })
      res.end(
        JSON.stringify({ _tag: "ServiceUnavailable", code: 503, message: "shutting down", retry_after_seconds: 5 })
      )
    })
    try {
      const unauthorized = await sre(["list", "--server", stub.url])
      expect(unauthorized.code).toBe(1)
      expect(unauthorized.stderr).toContain("401 missing API key")
      expect(unauthorized.stderr).toContain("--api-key <key>, SRE_API_KEY or `sre config set api-key <key>`")

      const invalid = await sre(["investigate", "--server", stub.url, "--api-key", "k", "something"])
      expect(invalid.code).toBe(1)
      expect(invalid.stderr).toBe("sre: invalid request: description: mentions no workload\n")

      const busy = await sre(["health", "--server", stub.url, "--api-key", "k"])
      expect(busy.code).toBe(1)
      expect(busy.stderr).toBe(`sre: ${stub.url} answered 503: shutting down\n`)
    } finally {
      await stub.close()
    }
  })

  it("usage errors exit 1", async () => {
    const r = await sre(["investigate"])
    expect(r.code).toBe(1)
    const unknown = await sre(["frobnicate"])
    expect(unknown.code).toBe(1)
  })
})

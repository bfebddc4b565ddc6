/**
 * `sre investigate` against the real server (scripted agent): live steps and the report, JSON output, --no-wait,
 * a failed investigation (exit 2), a timeout (exit 1), and the fallback to polling when the stream drops.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ROOT_CAUSE, startServer, startStub, forward, type TestServer } from "./support/server.js"
import { buildBundle, runSre, tempConfigHome } from "./support/run.js"

let server: TestServer
let entry: string
const configHome = tempConfigHome()
const sre = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  runSre(args, { entry, configHome, env: { SRE_SERVER_URL: server.url, ...env } })

beforeAll(async () => {
  entry = buildBundle()
  server = await startServer()
})
afterAll(() => server.close())

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe("sre investigate", () => {
  it("shows each step as it happens, then the report", async () => {
    const r = await sre(["investigate", "checkout pods in namespace shop are crash-looping"])
    expect(r.stderr).toMatch(/Filed incident [0-9a-f-]{36}/)
    expect(r.code).toBe(0)
    const out = r.stdout
    expect(out).toContain("[1] analysis: Extracted namespace shop")
    expect(out).toContain("[2] kubectl_get_pods(namespace=shop)  42ms")
    expect(out).toContain("3 pods, 1 in CrashLoopBackOff (OOMKilled)")
    expect(out).toContain("kubectl_logs(namespace=shop, pod=checkout-7d9f, previous=true)")
    expect(out).toContain("error: container checkout not found")
    expect(out).toContain("Root cause")
    expect(out).toContain(ROOT_CAUSE)
    expect(out).toContain("Confidence: high")
    expect(out).toMatch(/Evidence \(1 item, 1 supporting the conclusion\)\n {2}- kubectl_get_pods:shop: /)
    expect(out).toContain("Steps (4)")
    expect(out).toMatch(/#\s+KIND\s+TOOK\s+RESULT\s+WHAT/)
    expect(out).toContain("1. Raise the memory limit of checkout to 256Mi")
    // steps are printed once each, live, before the report
    expect(out.indexOf("[2] kubectl_get_pods")).toBeLessThan(out.indexOf("Root cause"))
    expect(out.match(/\[2\] kubectl_get_pods/g)?.length).toBe(1)
    expect(out).not.toMatch(/\u001b\[/)
  })

  it("--output json prints the final incident as the API's JSON", async () => {
    const r = await sre(["investigate", "--output", "json", "checkout pods crash-looping"])
    expect(r.code).toBe(0)
    const incident: unknown = JSON.parse(r.stdout)
    expect(incident).toMatchObject({ status: "completed", source: "cli", confidence_score: "high" })
    expect(incident).toHaveProperty("investigation_steps.length", 4)
  })

  it("--no-wait prints only the id", async () => {
    const r = await sre(["investigate", "--no-wait", "checkout pods crash-looping"])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toMatch(UUID)
    const json = await sre(["investigate", "--no-wait", "-o", "json", "checkout pods crash-looping"])
    expect(JSON.parse(json.stdout)).toHaveProperty("incident_id")
  })

  it("exits 2 with the server's message when the investigation fails", async () => {
    const r = await sre(["investigate", "FAIL payments are down"])
    expect(r.code).toBe(2)
    expect(r.stdout).toContain("Investigation failed")
    expect(r.stdout).toContain("mock agent: the cluster API is unreachable")
  })

  it("--timeout: says how to check later and exits 1", async () => {
    const r = await sre(["investigate", "--timeout", "1", "SLOW checkout latency"])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/still investigating after 1s; .*Check later with: sre show [0-9a-f]{8}\n$/)
  })

  it("rejects a too-long description with the contract's message (exit 1)", async () => {
    const r = await sre(["investigate", "x".repeat(10_001)])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe("sre: invalid request: description must be at most 10000 characters\n")
  })

  it("falls back to polling when the event stream drops", async () => {
    // a proxy that cuts every event stream right after its headers, and forwards everything else
    const proxy = await startStub((req, res, body) => {
      if (req.url?.endsWith("/events") === true) {
        res.writeHead(200, { "content-type": "text/event-stream" })
        res.destroy()
        return
      }
      forward(server.url, req, res, body)
    })
    try {
      const r = await sre(["investigate", "--server", proxy.url, "checkout pods crash-looping"])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/\((live stream lost|live stream ended early); polling instead\)/)
      expect(r.stdout).toContain("[4] conclusion")
      expect(r.stdout).toContain(ROOT_CAUSE)
    } finally {
      await proxy.close()
    }
  })
})

/**
 * kubectl (from .tmp/bin, see scripts/install-kubectl.sh, or PATH) against a sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { findKubectl, shared, suiteSandbox } from "./helpers.js"

const kubectl = findKubectl()
if (kubectl === undefined)
  console.log(
    "skipping kubectl tests: no kubectl on PATH or in .tmp/bin (run packages/sandbox/scripts/install-kubectl.sh)"
  )

describe.skipIf(kubectl === undefined)("kubectl against the sandbox", () => {
  const sandbox = suiteSandbox({ scenarioPath: shared("crashloop-missing-database-url.json") })
  let kubeconfig = ""
  beforeAll(async () => {
    kubeconfig = (await sandbox.start()).kubeconfigPath
  })
  afterAll(() => sandbox.stop())

  const run = (...args: Array<string>): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        kubectl ?? "kubectl",
        args,
        { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: process.env.HOME ?? "/tmp" }, timeout: 20_000 },
        (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
      )
    })

  it("get pods -A", async () => {
    const r = await run("get", "pods", "-A")
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/)
    expect(r.stdout).toMatch(/ledger-api-85f6d7c9b-t6wq4\s+0\/1\s+CrashLoopBackOff/)
  })

  it("get pods -n <ns> -o wide", async () => {
    const r = await run("get", "pods", "-n", "payments", "-o", "wide")
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/IP\s+NODE\s+NOMINATED NODE/)
    expect(r.stdout).toContain("ip-10-0-1-58.ec2.internal")
  })

  it("describe pod shows its events (field-selected by involvedObject)", async () => {
    const r = await run("describe", "pod", "ledger-api-85f6d7c9b-t6wq4")
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("Last State:     Terminated")
    expect(r.stdout).toMatch(/Warning\s+BackOff/)
  })

  it("logs --previous", async () => {
    const r = await run("logs", "ledger-api-85f6d7c9b-t6wq4", "-c", "ledger-api", "--previous")
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("DATABASE_URL")
  })

  it("get deploy,svc,endpoints", async () => {
    const r = await run("get", "deploy,svc,endpoints")
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("deployment.apps/ledger-api")
    expect(r.stdout).toContain("service/ledger-db")
    expect(r.stdout).toContain("endpoints/payment-gateway")
  })

  it("get -o json, get nodes, top, get events", async () => {
    const json = await run("get", "pod", "ledger-db-0", "-o", "json")
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ kind: "Pod", metadata: { name: "ledger-db-0" } })
    expect((await run("get", "nodes")).stdout).toMatch(/Ready/)
    const top = await run("top", "pods")
    expect(top.code, top.stderr).toBe(0)
    expect(top.stdout).toContain("ledger-db-0")
    const events = await run("get", "events", "--field-selector", "type=Warning")
    expect(events.stdout).toContain("BackOff")
    expect(events.stdout).not.toMatch(/\bNormal\b/)
  })

  it("delete is refused", async () => {
    const r = await run("delete", "pod", "ledger-db-0")
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("MethodNotAllowed")
  })
})

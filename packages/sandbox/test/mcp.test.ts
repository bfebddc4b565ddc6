/**
 * The REAL kubernetes-mcp-server (read-only, stdio) against a sandbox.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { existsSync } from "node:fs"
import { asRecord, asRecords, MCP_SERVER_BIN, shared, suiteSandbox } from "./helpers.js"

const available = existsSync(MCP_SERVER_BIN)
if (!available) console.log(`skipping kubernetes-mcp-server tests: ${MCP_SERVER_BIN} not found`)

describe.skipIf(!available)("kubernetes-mcp-server --read-only against the sandbox", () => {
  // Namespace "web" (kubeconfig default) plus pods in "ingress-nginx".
  const sandbox = suiteSandbox({ scenarioPath: shared("readiness-probe-404-no-endpoints.json") })
  let client: Client | undefined

  beforeAll(async () => {
    const handle = await sandbox.start()
    const transport = new StdioClientTransport({
      command: MCP_SERVER_BIN,
      args: ["--read-only", "--kubeconfig", handle.kubeconfigPath, "--list-output", "table"],
      stderr: "ignore"
    })
    client = new Client({ name: "sandbox-test", version: "0.0.0" })
    await client.connect(transport)
  })
  afterAll(async () => {
    await client?.close()
    await sandbox.stop()
  })

  const callTool = async (
    name: string,
    args: Record<string, unknown> = {}
  ): Promise<{ text: string; isError: boolean }> => {
    if (client === undefined) throw new Error("MCP client not connected")
    const result = asRecord(await client.callTool({ name, arguments: args }))
    const text = asRecords(result.content)
      .map((c) => (typeof c.text === "string" ? c.text : ""))
      .join("\n")
    return { text, isError: result.isError === true }
  }

  it("exposes the read-only tools", async () => {
    const tools = (await client?.listTools())?.tools.map((t) => t.name) ?? []
    expect(tools).toEqual(
      expect.arrayContaining(["pods_list", "pods_log", "events_list", "resources_get", "resources_list", "nodes_top"])
    )
  })

  it("pods_list covers every namespace (the SelfSubjectAccessReview path)", async () => {
    const { text, isError } = await callTool("pods_list")
    expect(isError).toBe(false)
    expect(text).toContain("storefront-6c9b8d7f5c-2xkfp")
    expect(text).toContain("ingress-nginx-controller-6b8c5d7f9-kq2md")
  })

  it("pods_list_in_namespace, pods_get", async () => {
    const inNs = await callTool("pods_list_in_namespace", { namespace: "ingress-nginx" })
    expect(inNs.text).toContain("ingress-nginx-controller")
    expect(inNs.text).not.toContain("storefront-6c9b8d7f5c-2xkfp")
    const pod = await callTool("pods_get", { name: "storefront-6c9b8d7f5c-2xkfp", namespace: "web" })
    expect(pod.text).toContain("readinessProbe")
  })

  it("pods_log, with previous and a container that has no earlier instance", async () => {
    const log = await callTool("pods_log", { name: "storefront-6c9b8d7f5c-2xkfp", namespace: "web" })
    expect(log.isError).toBe(false)
    expect(log.text).toMatch(/\S/)
    const previous = await callTool("pods_log", {
      name: "storefront-6c9b8d7f5c-2xkfp",
      namespace: "web",
      previous: true
    })
    expect(previous.text).toContain("previous terminated container")
  })

  it("events_list", async () => {
    const { text } = await callTool("events_list", { namespace: "web" })
    expect(text).toContain("Unhealthy")
    expect(text).toContain("Readiness probe failed")
  })

  it("resources_get / resources_list for common kinds", async () => {
    for (const [apiVersion, kind] of [
      ["apps/v1", "Deployment"],
      ["v1", "Service"],
      ["v1", "Endpoints"],
      ["v1", "Node"],
      ["v1", "ConfigMap"]
    ] as const) {
      const res = await callTool("resources_list", { apiVersion, kind })
      expect(res.isError, `${kind}: ${res.text}`).toBe(false)
    }
    const deploy = await callTool("resources_get", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "storefront",
      namespace: "web"
    })
    expect(deploy.text).toContain("storefront")
    const svc = await callTool("resources_list", { apiVersion: "v1", kind: "Service", namespace: "web" })
    expect(svc.text).toContain("storefront")
  })

  it("namespaces_list, nodes_top, pods_top, nodes_stats_summary", async () => {
    expect((await callTool("namespaces_list")).text).toContain("ingress-nginx")
    const top = await callTool("nodes_top")
    expect(top.isError).toBe(false)
    expect(top.text).toMatch(/CPU/)
    const podsTop = await callTool("pods_top", { all_namespaces: true })
    expect(podsTop.isError).toBe(false)
    expect(podsTop.text).toContain("ingress-nginx-controller")
    const node = /ip-[0-9-]+\.[a-z0-9.-]+internal/.exec(top.text)?.[0] ?? ""
    const summary = await callTool("nodes_stats_summary", { name: node })
    expect(summary.text).toContain(node)
  })
})

/**
 * Renders the Helm chart charts/sre-orchestrator with `helm template` and asserts its security properties and
 * guards. Needs helm: `.tmp/bin/helm` (installed by scripts/chart/install-helm.sh or scripts/chart/validate.sh) or
 * `helm` on PATH; without it the suite is skipped with a printed reason.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { parseAllDocuments } from "yaml"
import { parseKnowledgeGraph } from "../../src/knowledge/KnowledgeGraph.js"
import { parseMcpConfig } from "../../src/mcp/McpConfig.js"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..")
const CHART = join(ROOT, "charts/sre-orchestrator")

const findHelm = (): string | undefined => {
  const local = join(ROOT, ".tmp/bin/helm")
  if (existsSync(local)) return local
  const which = spawnSync("sh", ["-c", "command -v helm"], { encoding: "utf8" })
  return which.status === 0 && which.stdout.trim() !== "" ? which.stdout.trim() : undefined
}
const HELM = findHelm()
if (HELM === undefined) {
  console.log("chart.test.ts skipped: helm not found (run scripts/chart/install-helm.sh to install it into .tmp/bin)")
}

/** A rendered manifest: untyped JSON below the top-level fields. */
type Manifest = {
  kind: string
  apiVersion: string
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered manifests are untyped JSON
  [k: string]: any
}

const template = (...args: Array<string>): Array<Manifest> => {
  const out = execFileSync(HELM!, ["template", "sre", CHART, "--namespace", "sre", ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"]
  })
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null)
}
const templateError = (...args: Array<string>): string => {
  const r = spawnSync(HELM!, ["template", "sre", CHART, ...args], { encoding: "utf8" })
  expect(r.status, "helm template should have failed").not.toBe(0)
  return r.stderr
}
const only = (ms: Array<Manifest>, kind: string): Manifest => {
  const found = ms.filter((m) => m.kind === kind)
  expect(found, `exactly one ${kind}`).toHaveLength(1)
  return found[0]!
}
const rulesOf = (ms: Array<Manifest>) =>
  ms
    .filter((m) => m.kind === "ClusterRole" || m.kind === "Role")
    .flatMap((m) => m.rules as Array<Record<string, Array<string>>>)

describe.skipIf(HELM === undefined)("helm chart charts/sre-orchestrator", () => {
  const defaults = HELM === undefined ? [] : template()
  const deployment = () => only(defaults, "Deployment")
  const container = () => deployment().spec.template.spec.containers[0]

  it("grants only get/list/watch, never on secrets, by default (cluster-wide mode)", () => {
    expect(only(defaults, "ClusterRole").metadata.name).toBe("sre-sre-orchestrator-read")
    expect(only(defaults, "ClusterRoleBinding").subjects).toEqual([
      { kind: "ServiceAccount", name: "sre-sre-orchestrator", namespace: "sre" }
    ])
    const rules = rulesOf(defaults)
    expect(rules.length).toBeGreaterThan(5)
    for (const rule of rules) {
      expect([...rule.verbs!].sort()).toEqual(["get", "list", "watch"])
      expect(rule.resources).not.toContain("secrets")
      expect(rule.resources).not.toContain("*")
      expect(rule.apiGroups).not.toContain("*")
    }
    expect(rules.flatMap((r) => r.resources)).toEqual(
      expect.arrayContaining(["pods", "pods/log", "events", "deployments", "nodes"])
    )
  })

  it("adds secrets (still read-only) only with rbac.allowSecrets=true", () => {
    const rules = rulesOf(template("--set", "rbac.allowSecrets=true"))
    expect(rules.flatMap((r) => r.resources)).toContain("secrets")
    for (const rule of rules) expect([...rule.verbs!].sort()).toEqual(["get", "list", "watch"])
  })

  it("uses a Role + RoleBinding per namespace when rbac.namespaces is set, with no cluster-wide read", () => {
    const ms = template(
      "--set",
      "rbac.namespaces={shop,payments}",
      "--set",
      "rbac.extraRules[0].apiGroups[0]=argoproj.io",
      "--set",
      "rbac.extraRules[0].resources[0]=rollouts",
      "--set",
      "rbac.extraRules[0].verbs[0]=get"
    )
    expect(ms.filter((m) => m.kind === "ClusterRole" || m.kind === "ClusterRoleBinding")).toEqual([])
    const roles = ms.filter((m) => m.kind === "Role")
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(["payments", "shop"])
    expect(ms.filter((m) => m.kind === "RoleBinding")).toHaveLength(2)
    const rules = rulesOf(ms)
    expect(rules.flatMap((r) => r.resources)).toContain("rollouts")
    for (const rule of rules) {
      expect([...rule.verbs!].sort()).toEqual(["get", "list", "watch"])
      expect(rule.resources).not.toContain("secrets")
    }
  })

  it("runs as non-root 10001 with a read-only root filesystem, no privilege escalation, no capabilities, seccomp", () => {
    const pod = deployment().spec.template.spec
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: "RuntimeDefault" }
    })
    expect(container().securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" }
    })
    // writable places: /tmp and the data directory, both emptyDir without persistence
    const mounts = container().volumeMounts as Array<{ name: string; mountPath: string; readOnly?: boolean }>
    const volumes = pod.volumes as Array<{ name: string; emptyDir?: object; persistentVolumeClaim?: object }>
    const volumeAt = (path: string) => volumes.find((v) => v.name === mounts.find((m) => m.mountPath === path)?.name)
    expect(volumeAt("/tmp")?.emptyDir).toBeDefined()
    expect(volumeAt("/data")?.emptyDir).toBeDefined()
    for (const m of mounts.filter((m) => m.mountPath.startsWith("/etc/sre"))) expect(m.readOnly).toBe(true)
  })

  it("refuses to switch the security baseline off through values", () => {
    expect(templateError("--set", "securityContext.readOnlyRootFilesystem=false")).toMatch(/readOnlyRootFilesystem/)
    expect(templateError("--set", "podSecurityContext.runAsNonRoot=false")).toMatch(/runAsNonRoot/)
  })

  it("probes /health (startup, liveness, readiness) on the http port", () => {
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      expect(container()[probe].httpGet, probe).toEqual({ path: "/health", port: "http" })
    }
    expect(container().ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }])
  })

  it("changes the checksum annotation when mcpConfig changes (and only that one)", () => {
    const before = deployment().spec.template.metadata.annotations as Record<string, string>
    const after = only(template("--set", "mcpConfig.tool_output_budget=1234"), "Deployment").spec.template.metadata
      .annotations as Record<string, string>
    expect(before["checksum/mcp-config"]).toMatch(/^[0-9a-f]{64}$/)
    expect(after["checksum/mcp-config"]).not.toBe(before["checksum/mcp-config"])
    expect(after["checksum/knowledge-graph"]).toBe(before["checksum/knowledge-graph"])
    const withKey = only(template("--set", "llm.apiKey=sk-0123456789"), "Deployment").spec.template.metadata
      .annotations as Record<string, string>
    expect(withKey["checksum/secrets"]).not.toBe(before["checksum/secrets"])
  })

  it("refuses replicaCount > 1 and HPA maxReplicas > 1 without an external database", () => {
    expect(templateError("--set", "replicaCount=2")).toMatch(/more than 1 replica is unsafe.*database\.url/s)
    expect(templateError("--set", "autoscaling.enabled=true", "--set", "autoscaling.maxReplicas=3")).toMatch(
      /more than 1 replica is unsafe/
    )
    const ok = template("--set", "replicaCount=2", "--set", "database.url=postgres://u:p@db:5432/sre")
    expect(only(ok, "Deployment").spec.replicas).toBe(2)
    expect(templateError("--set-string", "replicaCount=two")).toMatch(/replicaCount/)
    expect(templateError("--set", "service.type=Foo")).toMatch(/service\.type/)
  })

  it("uses Recreate with a ReadWriteOnce volume and mounts the PVC at the data directory", () => {
    expect(deployment().spec.strategy.type).toBe("RollingUpdate")
    const ms = template("--set", "persistence.enabled=true")
    const dep = only(ms, "Deployment")
    expect(dep.spec.strategy.type).toBe("Recreate")
    expect(only(ms, "PersistentVolumeClaim").spec.accessModes).toEqual(["ReadWriteOnce"])
    const data = (
      dep.spec.template.spec.volumes as Array<{ name: string; persistentVolumeClaim?: { claimName: string } }>
    ).find((v) => v.name === "data")
    expect(data?.persistentVolumeClaim?.claimName).toBe("sre-sre-orchestrator-data")
  })

  it("takes the LLM key from a Secret (chart-made or existing), never as a plain env value", () => {
    const env = (ms: Array<Manifest>) =>
      only(ms, "Deployment").spec.template.spec.containers[0].env as Array<{
        name: string
        value?: string
        valueFrom?: { secretKeyRef: { name: string; key: string } }
      }>
    const made = template("--set", "llm.apiKey=sk-0123456789")
    expect(env(made).find((e) => e.name === "LLM_API_KEY")).toEqual({
      name: "LLM_API_KEY",
      valueFrom: { secretKeyRef: { name: "sre-sre-orchestrator-llm", key: "api-key" } }
    })
    expect(made.find((m) => m.kind === "Secret" && m.metadata.name === "sre-sre-orchestrator-llm")).toBeDefined()
    const existing = template("--set", "llm.existingSecret=mine", "--set", "llm.existingSecretKey=k")
    expect(env(existing).find((e) => e.name === "LLM_API_KEY")?.valueFrom?.secretKeyRef).toEqual({
      name: "mine",
      key: "k"
    })
    expect(existing.filter((m) => m.kind === "Secret")).toEqual([])
    expect(env(defaults).find((e) => e.name === "LLM_API_KEY")).toBeUndefined()
  })

  it("renders an mcp_config.yaml the server accepts, configured for in-cluster access", () => {
    const cm = defaults.find((m) => m.kind === "ConfigMap" && m.metadata.name.endsWith("-mcp"))!
    const text = (cm.data as Record<string, string>)["mcp_config.yaml"]!
    const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443", PATH: "/usr/bin" }
    const parsed = parseMcpConfig(text, { file: "/etc/sre/mcp/mcp_config.yaml", env, binDirs: [] })
    if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
    const k8s = parsed.right.servers.find((s) => s.name === "kubernetes")
    expect(k8s?.transport).toBe("stdio")
    if (k8s?.transport !== "stdio") return
    expect(k8s.args).toEqual(expect.arrayContaining(["--read-only", "--cluster-provider", "in-cluster"]))
    expect(k8s.args).not.toContain("--kubeconfig")
    // the MCP SDK gives the child only HOME/PATH/...: the in-cluster variables must be passed explicitly
    expect(k8s.env).toMatchObject({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" })
    expect(k8s.deny).toEqual(expect.arrayContaining(["configuration_view"]))
    expect(deployment().spec.template.spec.automountServiceAccountToken).toBe(true)
  })

  it("renders a knowledge_graph.yaml the server accepts", () => {
    const cm = defaults.find((m) => m.kind === "ConfigMap" && m.metadata.name.endsWith("-knowledge-graph"))!
    const parsed = parseKnowledgeGraph((cm.data as Record<string, string>)["knowledge_graph.yaml"]!)
    if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
    expect(parsed.right.services.size).toBeGreaterThan(5)
  })
})

/**
 * Renders the Helm chart charts/sre-orchestrator with `helm template` and asserts its security properties and
 * guards. Needs helm: `.tmp/bin/helm` (installed by scripts/chart/install-helm.sh or scripts/chart/validate.sh) or
 * `helm` on PATH; without it the suite is skipped with a printed reason.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { ConfigProvider, Duration, Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { parseAllDocuments } from "yaml"
import { appConfig } from "../../src/config/AppConfig.js"
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
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }
const podSpec = (ms: Array<Manifest>) => only(ms, "Deployment").spec.template.spec
const envOf = (ms: Array<Manifest>): Array<EnvVar> => podSpec(ms).containers[0].env as Array<EnvVar>
const envNames = (ms: Array<Manifest>) => envOf(ms).map((e) => e.name)
/** The server's own configuration parser fed with the rendered plain env values (Secrets left out). */
const serverConfigFrom = (ms: Array<Manifest>) =>
  Effect.runSync(
    Effect.withConfigProvider(
      Effect.suspend(() => appConfig),
      ConfigProvider.fromMap(
        new Map(envOf(ms).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value] as [string, string]])))
      )
    )
  )
const DB = ["--set", "database.existingSecret=sre-database"]
const SELECTOR = { "app.kubernetes.io/name": "sre-orchestrator", "app.kubernetes.io/instance": "sre" }
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
    expect(templateError("--set", "replicaCount=2")).toMatch(/more than 1 replica is unsafe.*database\.existingSecret/s)
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

  describe("external PostgreSQL and several replicas", () => {
    it("takes DATABASE_URL from an existing Secret and drops the SQLite volume, path and PVC", () => {
      const ms = template(...DB, "--set", "replicaCount=3")
      expect(envOf(ms).find((e) => e.name === "DATABASE_URL")).toEqual({
        name: "DATABASE_URL",
        valueFrom: { secretKeyRef: { name: "sre-database", key: "DATABASE_URL" } }
      })
      expect(envNames(ms)).not.toContain("SRE_DB_PATH")
      expect((podSpec(ms).volumes as Array<{ name: string }>).map((v) => v.name)).not.toContain("data")
      expect((podSpec(ms).containers[0].volumeMounts as Array<{ name: string }>).map((m) => m.name)).not.toContain(
        "data"
      )
      expect(ms.filter((m) => m.kind === "PersistentVolumeClaim" || m.kind === "Secret")).toEqual([])
      expect(only(ms, "Deployment").spec.replicas).toBe(3)
      const custom = template(...DB, "--set", "database.secretKey=url")
      expect(envOf(custom).find((e) => e.name === "DATABASE_URL")?.valueFrom?.secretKeyRef.key).toBe("url")
      // SQLite mode keeps its path and volume
      expect(envOf(defaults).find((e) => e.name === "SRE_DB_PATH")?.value).toBe("/data/incidents.db")
      expect(envNames(defaults)).not.toContain("DATABASE_URL")
    })

    it("puts database.url (quick trials) in a chart-made Secret, never in the pod spec", () => {
      const url = "postgres://sre:s3cret@db.example:5432/sre?sslmode=require"
      const ms = template("--set", `database.url=${url}`, "--set", "replicaCount=2")
      const secret = ms.find((m) => m.kind === "Secret" && m.metadata.name === "sre-sre-orchestrator-database")!
      expect(Buffer.from((secret.data as Record<string, string>)["DATABASE_URL"]!, "base64").toString()).toBe(url)
      expect(envOf(ms).find((e) => e.name === "DATABASE_URL")?.valueFrom?.secretKeyRef).toEqual({
        name: "sre-sre-orchestrator-database",
        key: "DATABASE_URL"
      })
      expect(JSON.stringify(only(ms, "Deployment"))).not.toContain("s3cret")
    })

    it("refuses conflicting or unusable database settings", () => {
      expect(
        templateError("--set", "database.url=postgres://u:p@db/sre", "--set", "database.existingSecret=sre-database")
      ).toMatch(/database\.existingSecret/)
      expect(templateError("--set", "database.url=mysql://u:p@db/sre")).toMatch(/database\.url/)
      expect(templateError("--set", "database.existingSecret=Not_A_Name")).toMatch(/database\.existingSecret/)
      expect(templateError(...DB, "--set", "database.existingSecretKey=url")).toMatch(/existingSecretKey/)
      expect(templateError(...DB, "--set", "persistence.enabled=true")).toMatch(
        /persistence\.enabled is for the SQLite store/
      )
    })

    it("allows replicas > 1 and an HPA only with a database; the guard names the fix", () => {
      expect(templateError("--set", "replicaCount=3")).toMatch(/replicaCount is 3 .*more than 1 replica is unsafe/)
      expect(templateError("-f", join(CHART, "ci/postgres-values.yaml"), "--set", "database.existingSecret=")).toMatch(
        /more than 1 replica is unsafe/
      )
      const ms = template("-f", join(CHART, "ci/postgres-values.yaml"))
      const dep = only(ms, "Deployment")
      expect(dep.spec.replicas).toBeUndefined() // the HPA owns the replica count
      expect(only(ms, "HorizontalPodAutoscaler").spec).toMatchObject({ minReplicas: 3, maxReplicas: 6 })
      expect(only(ms, "PodDisruptionBudget").spec.minAvailable).toBe(2)
    })

    it("rolls out with RollingUpdate, maxUnavailable 0, with a database; Recreate (no rollingUpdate) on a RWO volume", () => {
      const dep = only(template(...DB, "--set", "replicaCount=3"), "Deployment")
      expect(dep.spec.strategy).toEqual({
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 }
      })
      const sqlite = only(template("--set", "persistence.enabled=true"), "Deployment")
      expect(sqlite.spec.strategy).toEqual({ type: "Recreate" })
      expect(templateError(...DB, "--set", "strategy.rollingUpdate.maxSurge=0")).toMatch(/cannot both be 0/)
    })

    it("adds a soft anti-affinity by node only when several pods can run, and lets affinity override it", () => {
      expect(deployment().spec.template.spec.affinity).toBeUndefined()
      const preferred = {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: SELECTOR } }
            }
          ]
        }
      }
      expect(podSpec(template(...DB, "--set", "replicaCount=3")).affinity).toEqual(preferred)
      // an HPA that may scale out counts as several replicas
      expect(podSpec(template(...DB, "--set", "autoscaling.enabled=true")).affinity).toEqual(preferred)
      const hard = podSpec(
        template(
          ...DB,
          "--set",
          "replicaCount=3",
          "--set",
          "podAntiAffinityPreset=hard",
          "--set",
          "podAntiAffinityTopologyKey=topology.kubernetes.io/zone"
        )
      ).affinity
      expect(hard.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
        { topologyKey: "topology.kubernetes.io/zone", labelSelector: { matchLabels: SELECTOR } }
      ])
      expect(
        podSpec(template(...DB, "--set", "replicaCount=3", "--set", "podAntiAffinityPreset=none")).affinity
      ).toBeUndefined()
      // other affinity keys are kept next to the preset; an explicit podAntiAffinity replaces it
      const merged = podSpec(
        template(
          "-f",
          join(CHART, "ci/existing-secret-values.yaml"),
          "--set",
          "persistence.enabled=false",
          ...DB,
          "--set",
          "replicaCount=2"
        )
      ).affinity
      expect(Object.keys(merged).sort()).toEqual(["nodeAffinity", "podAntiAffinity"])
      const term = "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
      const own = podSpec(
        template(
          ...DB,
          "--set",
          "replicaCount=2",
          "--set",
          `${term}.weight=7`,
          "--set",
          `${term}.podAffinityTerm.topologyKey=topology.kubernetes.io/zone`,
          "--set",
          `${term}.podAffinityTerm.labelSelector.matchLabels.app=sre`
        )
      ).affinity
      expect(own).toEqual({
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 7,
              podAffinityTerm: {
                topologyKey: "topology.kubernetes.io/zone",
                labelSelector: { matchLabels: { app: "sre" } }
              }
            }
          ]
        }
      })
    })

    it("fills in the pods' selector labels in topologySpreadConstraints that have none", () => {
      const spread = podSpec(template("-f", join(CHART, "ci/postgres-values.yaml"))).topologySpreadConstraints
      expect(spread).toEqual([
        {
          maxSkew: 1,
          topologyKey: "topology.kubernetes.io/zone",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: SELECTOR }
        }
      ])
      // an explicit labelSelector is kept as given
      const given = podSpec(template("-f", join(CHART, "ci/hpa-values.yaml"))).topologySpreadConstraints
      expect(given[0].labelSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "sre-orchestrator" } })
    })

    it("refuses a PodDisruptionBudget that leaves no pod evictable", () => {
      const minAvailable = (n: string, ...rest: Array<string>) => [
        "--set",
        `podDisruptionBudget.minAvailable=${n}`,
        "--set",
        "podDisruptionBudget.maxUnavailable=",
        ...rest
      ]
      expect(templateError(...minAvailable("1"))).toMatch(/node drains would block/)
      expect(templateError(...minAvailable("3", ...DB, "--set", "replicaCount=3"))).toMatch(/node drains would block/)
      expect(templateError(...minAvailable("100%", ...DB, "--set", "replicaCount=3"))).toMatch(/node drains/)
      expect(templateError("--set", "podDisruptionBudget.maxUnavailable=0")).toMatch(/node drains would block/)
      const ok = template(...minAvailable("1", ...DB, "--set", "replicaCount=2"))
      expect(only(ok, "PodDisruptionBudget").spec).toMatchObject({ minAvailable: 1 })
      expect(only(defaults, "PodDisruptionBudget").spec).toMatchObject({ maxUnavailable: 1 })
    })

    it("renders INVESTIGATION_TIMEOUT (and the other durations) in a form the server's configuration accepts", () => {
      expect(envNames(defaults)).not.toContain("INVESTIGATION_TIMEOUT")
      const ms = template(...DB, "--set", "investigations.leaseSeconds=600")
      expect(envOf(ms).find((e) => e.name === "INVESTIGATION_TIMEOUT")?.value).toBe("600 seconds")
      const config = serverConfigFrom(ms)
      expect(Duration.toSeconds(config.investigationTimeout)).toBe(600)
      expect(Duration.toSeconds(config.shutdownGracePeriod)).toBe(20)
      const ci = serverConfigFrom(template("-f", join(CHART, "ci/postgres-values.yaml")))
      expect(Duration.toSeconds(ci.investigationTimeout)).toBe(900)
      expect(ci.maxInvestigationAttempts).toBe(4)
      expect(templateError("--set-string", "investigations.leaseSeconds=600s")).toMatch(/leaseSeconds/)
      expect(templateError("--set", "server.shutdownGracePeriod=20s")).toMatch(/shutdownGracePeriod/)
    })

    it("opens egress to the database port when the NetworkPolicy restricts egress", () => {
      const egress = (ms: Array<Manifest>) =>
        only(ms, "NetworkPolicy").spec.egress as Array<{ ports: Array<{ port: number }>; to?: Array<object> }>
      const ports = (ms: Array<Manifest>) => egress(ms).flatMap((r) => r.ports.map((p) => p.port))
      expect(ports(template("--set", "networkPolicy.enabled=true"))).not.toContain(5432)
      expect(ports(template("--set", "networkPolicy.enabled=true", ...DB))).toContain(5432)
      const ci = egress(template("-f", join(CHART, "ci/postgres-values.yaml")))
      expect(ci.find((r) => r.ports.some((p) => p.port === 5432))).toEqual({
        ports: [
          { port: 5432, protocol: "TCP" },
          { port: 6432, protocol: "TCP" }
        ],
        to: [{ ipBlock: { cidr: "10.20.0.0/24" } }]
      })
    })
  })
})

/**
 * Liveness/readiness/startup probe failures from `Unhealthy` events plus the probe spec: wrong port (connection
 * refused where nothing listens; the app logs its real port), wrong path (HTTP 404), timeouts vs timeoutSeconds.
 * Readiness failures of a container that is crash-looping for another reason are reported as symptoms (low score).
 */
import type { Cluster, Container, Pod, Probe } from "../snapshot.js"
import { containersOf, eventCount, eventsFor, logOf, nsOf, podsOfService } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"
import { listeningPorts } from "../logs.js"
import { lastTermination } from "./termination.js"
import { describePods, groupByWorkload } from "./pod-groups.js"

type ProbeKind = "Liveness" | "Readiness" | "Startup"

const probeOf = (c: Container, kind: ProbeKind): Probe | undefined =>
  kind === "Liveness" ? c.livenessProbe : kind === "Readiness" ? c.readinessProbe : c.startupProbe

const resolvePort = (
  c: Container,
  port: number | string | undefined
): { readonly number?: number; readonly label: string } => {
  if (port === undefined) return { label: "?" }
  if (typeof port === "number") return { number: port, label: String(port) }
  const named = c.ports?.find((p) => p.name === port)
  if (named !== undefined) return { number: named.containerPort, label: `${named.containerPort} (named '${port}')` }
  const n = Number(port)
  return Number.isInteger(n) ? { number: n, label: port } : { label: `'${port}' (no container port has that name)` }
}

const describeProbe = (
  c: Container,
  p: Probe
): { readonly text: string; readonly port?: number; readonly portLabel: string } => {
  if (p.httpGet !== undefined) {
    const port = resolvePort(c, p.httpGet.port)
    return {
      text: `HTTP GET ${p.httpGet.path ?? "/"} on port ${port.label}`,
      portLabel: port.label,
      ...(port.number === undefined ? {} : { port: port.number })
    }
  }
  if (p.tcpSocket !== undefined) {
    const port = resolvePort(c, p.tcpSocket.port)
    return {
      text: `TCP connect to port ${port.label}`,
      portLabel: port.label,
      ...(port.number === undefined ? {} : { port: port.number })
    }
  }
  if (p.grpc?.port !== undefined)
    return { text: `gRPC health check on port ${p.grpc.port}`, port: p.grpc.port, portLabel: String(p.grpc.port) }
  return { text: `exec \`${(p.exec?.command ?? []).join(" ")}\``, portLabel: "?" }
}

const crashingForOtherReason = (pod: Pod, container: string): boolean => {
  const s = pod.status?.containerStatuses?.find((x) => x.name === container)
  const t = s === undefined ? undefined : lastTermination(s)
  return t !== undefined && t.exitCode !== 143 && t.exitCode !== 137 && t.exitCode !== 0
}

/** Finds failing probes and explains the mismatch between the probe and the application. */
export const probeAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const hits: Array<{ readonly pod: Pod; readonly kind: ProbeKind; readonly message: string; readonly count: number }> =
    []
  for (const pod of cluster.pods) {
    const byKind = new Map<ProbeKind, { message: string; count: number }>()
    for (const e of eventsFor(cluster, "Pod", pod.metadata.name, nsOf(pod))) {
      const m = /^(Liveness|Readiness|Startup) probe (?:failed|errored):\s*(.*)$/s.exec(e.message ?? "")
      if (e.reason !== "Unhealthy" || m?.[1] === undefined) continue
      const kind = m[1] === "Liveness" ? "Liveness" : m[1] === "Readiness" ? "Readiness" : "Startup"
      const prev = byKind.get(kind)
      byKind.set(kind, { message: m[2] ?? "", count: (prev?.count ?? 0) + eventCount(e) })
    }
    for (const [kind, v] of byKind) hits.push({ pod, kind, ...v })
  }
  const out: Array<Finding> = []
  for (const kind of ["Liveness", "Startup", "Readiness"] as const) {
    const pods = hits.filter((h) => h.kind === kind).map((h) => h.pod)
    for (const group of groupByWorkload(cluster, pods)) {
      const hit = hits.find((h) => h.kind === kind && h.pod === group.pods[0])
      if (hit === undefined) continue
      const pod = hit.pod
      const ns = nsOf(pod)
      const withProbe = containersOf(pod).find((c) => !c.init && probeOf(c.spec, kind) !== undefined)?.spec
      const probe = withProbe === undefined ? undefined : probeOf(withProbe, kind)
      if (withProbe === undefined || probe === undefined) continue
      const d = describeProbe(withProbe, probe)
      const msg = hit.message
      const logs = [
        logOf(cluster, ns, pod.metadata.name, withProbe.name, false),
        logOf(cluster, ns, pod.metadata.name, withProbe.name, true)
      ].join("\n")
      const listens = listeningPorts(logs).filter((p) => p !== d.port)
      const declared = (withProbe.ports ?? []).map((p) => p.containerPort).filter((p) => p !== d.port)
      const effect =
        kind === "Readiness"
          ? "so the pods stay Running but NotReady and are removed from Service endpoints"
          : kind === "Liveness"
            ? "so the kubelet kills and restarts the container (exit 143)"
            : "so the container never finishes starting and is restarted"
      const lower = kind.toLowerCase()
      let cause: string
      let score = 82
      const status = /statuscode: (\d{3})/i.exec(msg)?.[1]
      if (/connection refused/i.test(msg)) {
        const realPort = listens[0] ?? (declared.length > 0 ? declared[0] : undefined)
        cause = `gets connection refused: nothing listens on port ${d.portLabel}${listens.length > 0 ? ` — the application logs say it listens on :${listens.join(", :")}` : realPort === undefined ? "" : ` (the container also declares port ${realPort})`}; the probe targets the wrong port`
        if (listens.length === 0 && realPort === undefined) {
          cause = `gets connection refused on port ${d.portLabel} (the application is not accepting connections there yet)`
          score = 60
        }
      } else if (status !== undefined) {
        cause = `gets HTTP ${status}${status === "404" ? " (not found): the application does not serve that path" : status.startsWith("5") ? " from the application (it reports itself unhealthy)" : ""}`
        score = status === "404" ? 88 : 70
      } else if (/timeout|deadline exceeded|timed out/i.test(msg)) {
        const cpu = withProbe.resources?.limits?.["cpu"]
        cause = `times out after ${probe.timeoutSeconds ?? 1}s (timeoutSeconds=${probe.timeoutSeconds ?? 1})${cpu === undefined ? "" : `; the container's CPU limit is ${String(cpu)}`}`
        score = 70
      } else {
        cause = `fails: "${msg.slice(0, 200)}"`
        score = 60
      }
      let serviceNote = ""
      if (kind === "Readiness") {
        const svcs = cluster.services.filter(
          (s) => (ns === undefined || nsOf(s) === ns) && podsOfService(cluster, s).some((p) => group.pods.includes(p))
        )
        const allNotReady = svcs.filter((s) =>
          podsOfService(cluster, s).every(
            (p) => !(p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
          )
        )
        if (allNotReady.length > 0)
          serviceNote = `; Service ${allNotReady.map((s) => s.metadata.name).join(", ")} therefore has no ready endpoints`
      }
      const symptom = kind === "Readiness" && crashingForOtherReason(pod, withProbe.name)
      const podRef = ref("Pod", pod.metadata.name, ns)
      out.push({
        analyzer: "probes",
        title: `${kind} probe failing: ${group.workload.name}/${withProbe.name}`,
        object: group.workload.kind === "Pod" ? podRef : group.workload,
        summary: `The ${lower} probe of container ${withProbe.name} in ${describePods(group.workload, group.pods)} (${d.text}) ${cause}, ${effect}${serviceNote} (${hit.count} failures: "${msg.slice(0, 160)}").`,
        severity: kind === "Readiness" ? "high" : "critical",
        confidence: symptom ? "low" : score >= 80 ? "high" : "medium",
        score: symptom ? 20 : score,
        evidence: [eventEvidence(podRef, "Unhealthy"), objectEvidence(podRef)],
        next_steps: [
          `Compare the ${lower} probe (${d.text}) with what the application serves; fix the probe port/path in the workload spec.`,
          `kubectl describe pod -n ${ns ?? "default"} ${pod.metadata.name}`
        ],
        related: group.pods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))
      })
    }
  }
  return out
}

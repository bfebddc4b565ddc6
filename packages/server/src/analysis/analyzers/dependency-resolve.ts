/**
 * Resolves a host name a container failed to reach into cluster terms: an existing Service (and the state of its
 * endpoints/pods), a Service that does not exist (with a similarly named one), or a pod IP.
 */
import type { Cluster, Container, Pod, Service } from "../snapshot.js"
import { findService, nsOf, parseServiceHost, podReady, podsOfService, similarName } from "../cluster.js"
import { objectEvidence, ref } from "../finding.js"
import { locateValue } from "../config-refs.js"

/** What a failing host turned out to be. */
export interface HostDescription {
  readonly text: string
  /** True when the name does not exist as a Service (the decisive cause of a DNS failure). */
  readonly missing: boolean
  readonly service?: Service
  /** Pods behind the Service, when it exists. */
  readonly backends: ReadonlyArray<Pod>
  readonly evidence: ReadonlyArray<string>
  readonly nextSteps: ReadonlyArray<string>
}

/** Describes `host` (DNS name or IP) as seen from `pod`. */
export const describeHost = (
  cluster: Cluster,
  pod: Pod,
  spec: Container | undefined,
  host: string,
  failure: "dns" | "connection-refused" | "timeout"
): HostDescription | undefined => {
  const ns = nsOf(pod)
  const svc = findService(cluster, host, ns)
  if (svc !== undefined) {
    const backends = podsOfService(cluster, svc)
    const ready = backends.filter(podReady)
    const svcNs = nsOf(svc)
    const evidence = [objectEvidence(ref("Service", svc.metadata.name, svcNs))]
    const text =
      svc.spec?.selector === undefined
        ? `Service ${svc.metadata.name} has no selector (endpoints are managed manually)`
        : backends.length === 0
          ? `Service ${svc.metadata.name} selects no pods (selector ${Object.entries(svc.spec.selector)
              .map(([k, v]) => `${k}=${v}`)
              .join(",")}), so it has no endpoints`
          : `Service ${svc.metadata.name} has ${ready.length}/${backends.length} ready backend pods`
    return {
      text,
      missing: false,
      service: svc,
      backends,
      evidence,
      nextSteps: [
        `kubectl get endpoints -n ${svcNs ?? "default"} ${svc.metadata.name}; kubectl get pods -n ${svcNs ?? "default"} -l ${Object.entries(
          svc.spec?.selector ?? {}
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(",")}`
      ]
    }
  }
  const parsed = parseServiceHost(host, ns)
  if (parsed === undefined || cluster.services.length === 0) return undefined
  const targetNs = parsed.namespace ?? ns
  const inNs = cluster.services.filter((s) => targetNs === undefined || nsOf(s) === undefined || nsOf(s) === targetNs)
  // Only conclude "does not exist" for names that are clearly cluster-internal (short, name.ns or *.svc).
  const clusterName = !host.includes(".") || /\.svc(\.cluster\.local)?\.?$/i.test(host) || host.split(".").length === 2
  if (!clusterName || inNs.length === 0) return undefined
  const alt = similarName(
    parsed.name,
    inNs.map((s) => s.metadata.name)
  )
  const loc =
    spec === undefined
      ? undefined
      : (locateValue(cluster, pod, spec, undefined, parsed.name) ?? locateValue(cluster, pod, spec, undefined, host))
  const source = loc === undefined ? "" : ` (the name comes from ConfigMap ${loc.configMap}: \`${loc.line}\`)`
  const verb = failure === "dns" ? "so the DNS lookup fails (NXDOMAIN)" : "so the name cannot resolve"
  return {
    text: `no Service named ${parsed.name} exists in namespace ${targetNs ?? "default"}${source}, ${verb}${alt === undefined ? "" : `; the existing Service is ${alt}`}`,
    missing: true,
    backends: [],
    evidence: loc === undefined ? [] : [objectEvidence(ref("ConfigMap", loc.configMap, ns))],
    nextSteps: [
      alt === undefined
        ? `Create Service ${parsed.name} in ${targetNs ?? "default"} or point the client at the right name.`
        : `Point the client at ${alt}${loc === undefined ? "" : ` (edit ConfigMap ${loc.configMap})`} or create Service ${parsed.name}.`,
      `kubectl get svc -n ${targetNs ?? "default"}`
    ]
  }
}

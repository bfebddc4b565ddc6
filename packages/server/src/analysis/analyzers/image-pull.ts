/**
 * ErrImagePull / ImagePullBackOff / InvalidImageName: classifies the registry's answer (tag or manifest not found,
 * 401/403 with the pod's and ServiceAccount's imagePullSecrets, unknown registry host, rate limit, timeout).
 */
import type { Cluster, Pod } from "../snapshot.js"
import { containerSpec, eventsFor, nsOf, workloadOf } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"
import { describePods, groupByWorkload } from "./pod-groups.js"

const PULL_REASONS = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "RegistryUnavailable"
])

type PullCause = "not-found" | "unauthorized" | "unknown-host" | "rate-limited" | "timeout" | "invalid-name" | "unknown"

const classify = (msg: string): PullCause => {
  if (/InvalidImageName|invalid reference format|couldn't parse image/i.test(msg)) return "invalid-name"
  if (/toomanyrequests|rate limit/i.test(msg)) return "rate-limited"
  if (
    /\b401\b|\b403\b|unauthori[sz]ed|authentication required|no basic auth credentials|denied|forbidden|insufficient_scope/i.test(
      msg
    )
  ) {
    if (/repository does not exist or may require/i.test(msg)) return "unauthorized"
    return "unauthorized"
  }
  if (/not found|manifest unknown|does not exist|no such manifest|NotFound/i.test(msg)) return "not-found"
  if (/no such host|server misbehaving|lookup [^ ]+ on/i.test(msg)) return "unknown-host"
  if (/i\/o timeout|TLS handshake timeout|context deadline exceeded|connection refused/i.test(msg)) return "timeout"
  return "unknown"
}

const tagOf = (image: string): string => {
  const at = image.indexOf("@")
  if (at >= 0) return image.slice(at + 1)
  const last = image.split("/").pop() ?? image
  const colon = last.lastIndexOf(":")
  return colon >= 0 ? last.slice(colon + 1) : "latest"
}

const registryOf = (image: string): string => {
  const first = image.split("/")[0] ?? ""
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : "docker.io"
}

/** The image other (older) pods of the same workload run successfully, for contrast. */
const workingImage = (cluster: Cluster, pod: Pod, container: string, bad: string): string | undefined => {
  const w = workloadOf(cluster, pod)
  for (const other of cluster.pods) {
    if (other === pod || nsOf(other) !== nsOf(pod)) continue
    const ow = workloadOf(cluster, other)
    if (ow.kind !== w.kind || ow.name !== w.name) continue
    const st = other.status?.containerStatuses?.find((s) => s.name === container)
    if (st?.state?.running !== undefined && st.image !== undefined && st.image !== bad) return st.image
  }
  return undefined
}

/** Finds pods that cannot pull an image and says why. */
export const imagePullAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const failing = cluster.pods.filter((p) =>
    [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].some((s) =>
      PULL_REASONS.has(s.state?.waiting?.reason ?? "")
    )
  )
  const out: Array<Finding> = []
  for (const group of groupByWorkload(cluster, failing)) {
    const pod = group.pods[0]
    if (pod === undefined) continue
    const ns = nsOf(pod)
    const podRef = ref("Pod", pod.metadata.name, ns)
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].filter(
      (s) => PULL_REASONS.has(s.state?.waiting?.reason ?? "")
    )
    for (const status of statuses) {
      const image = containerSpec(pod, status.name)?.image ?? status.image ?? "?"
      const events = group.pods.flatMap((p) => eventsFor(cluster, "Pod", p.metadata.name, nsOf(p)))
      const pullMsg =
        events
          .map((e) => e.message ?? "")
          .find(
            (m) =>
              /Failed to pull image|failed to pull|failed to resolve reference|pull access denied/i.test(m) &&
              m.includes(image)
          ) ??
        events.map((e) => e.message ?? "").find((m) => /Failed to pull image/i.test(m)) ??
        status.state?.waiting?.message ??
        ""
      const cause = classify(`${pullMsg} ${status.state?.waiting?.reason ?? ""}`)
      const reason = status.state?.waiting?.reason ?? "ErrImagePull"
      const registry = registryOf(image)
      const detail =
        /(?:: )?([^:]*(?:not found|401 Unauthorized|403 Forbidden|unauthorized[^:]*|denied[^:]*|no such host|manifest unknown)[^"]*)$/i
          .exec(pullMsg)?.[1]
          ?.trim()
      const quoted = detail === undefined || detail === "" ? "" : ` ("${detail}")`
      const subject = `Container ${status.name} of ${describePods(group.workload, group.pods)} cannot pull image ${image} (${reason})`
      const working = workingImage(cluster, pod, status.name, image)
      let summary: string
      let score = 90
      const steps: Array<string> = []
      switch (cause) {
        case "not-found":
          summary = `${subject}: the tag ${tagOf(image)} does not exist in registry ${registry} — manifest not found${quoted}${working === undefined ? "" : `; the previous pods run ${working}`}.`
          steps.push(
            `Check the tag exists (e.g. \`crane ls ${image.replace(/[:@][^/]*$/, "")}\`) and fix the image tag or roll back.`
          )
          break
        case "unauthorized": {
          const podSecrets = (pod.spec?.imagePullSecrets ?? [])
            .map((s) => s.name)
            .filter((n): n is string => n !== undefined)
          const saName = pod.spec?.serviceAccountName ?? "default"
          const sa = cluster.serviceAccounts.find(
            (s) => s.metadata.name === saName && (ns === undefined || nsOf(s) === ns)
          )
          const saSecrets = (sa?.imagePullSecrets ?? []).map((s) => s.name).filter((n): n is string => n !== undefined)
          const candidates = cluster.secrets
            .filter((s) => (ns === undefined || nsOf(s) === ns) && /dockerconfigjson|dockercfg/.test(s.type ?? ""))
            .map((s) => s.metadata.name)
          const code = /\b(401|403)\b/.exec(pullMsg)?.[1]
          const rejected = `registry ${registry} rejects the pull as unauthorized${code === undefined ? "" : ` (${code} ${code === "401" ? "Unauthorized" : "Forbidden"})`}`
          if (podSecrets.length === 0 && saSecrets.length === 0) {
            summary =
              `${subject}: the ${rejected} because neither the pod spec nor ServiceAccount ${saName} references an imagePullSecret` +
              `${candidates.length > 0 ? ` (the namespace has registry credential Secret ${candidates.join(", ")}, but it is not referenced)` : " (no pull secret is configured)"}.`
            steps.push(
              `Add \`imagePullSecrets: [{name: ${candidates[0] ?? "<registry-secret>"}}]\` to the pod template or to ServiceAccount ${saName}.`
            )
          } else {
            const used = [...podSecrets, ...saSecrets]
            const absent =
              cluster.secrets.length > 0
                ? used.filter((n) => !cluster.secrets.some((s) => s.metadata.name === n && nsOf(s) === ns))
                : []
            summary = `${subject}: the ${rejected} even though imagePullSecret ${used.join(", ")} is configured${absent.length > 0 ? ` — Secret ${absent.join(", ")} does not exist in ${ns ?? "the namespace"}` : " — its credentials are wrong, expired or lack access to this repository"}.`
            steps.push(`Verify the credentials in ${used.join(", ")} can pull ${image} (docker login ${registry}).`)
          }
          break
        }
        case "unknown-host":
          summary = `${subject}: the registry host ${registry} cannot be resolved (no such host)${quoted} — the registry name is wrong or unreachable from the nodes.`
          steps.push(`Check the registry host name in the image reference (${registry}) and node DNS.`)
          break
        case "rate-limited":
          summary = `${subject}: registry ${registry} is rate-limiting pulls (toomanyrequests)${quoted}.`
          steps.push("Authenticate pulls or mirror the image to a private registry.")
          score = 85
          break
        case "timeout":
          summary = `${subject}: the nodes cannot reach registry ${registry} (network timeout/refused)${quoted}.`
          steps.push("Check egress from the nodes to the registry (proxy, firewall, NAT).")
          score = 80
          break
        case "invalid-name":
          summary = `${subject}: the image reference ${image} is not a valid image name (InvalidImageName).`
          steps.push("Fix the image reference in the workload spec.")
          break
        default:
          summary = `${subject}${pullMsg === "" ? "" : `: "${pullMsg.slice(0, 240)}"`}.`
          score = 70
          steps.push(`kubectl describe pod -n ${ns ?? "default"} ${pod.metadata.name}`)
      }
      out.push({
        analyzer: "image-pull",
        title: `${reason}: ${image}`,
        object: group.workload.kind === "Pod" ? podRef : group.workload,
        summary,
        severity: "critical",
        confidence: cause === "unknown" ? "medium" : "high",
        score,
        evidence: [eventEvidence(podRef, "Failed"), objectEvidence(podRef)],
        next_steps: steps,
        related: group.pods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))
      })
    }
  }
  return out
}

/**
 * PersistentVolumeClaims that cannot bind: a StorageClass that does not exist (named, with the existing ones), no
 * default StorageClass, provisioning errors; and volume attach/mount failures (Multi-Attach, FailedAttachVolume).
 */
import type { Cluster } from "../snapshot.js"
import { eventsFor, nsOf } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"

const DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"

/** Why a PVC is not bound (a sentence fragment naming the claim and the StorageClass), or `undefined`. */
export const pvcProblem = (cluster: Cluster, claim: string, namespace: string | undefined): string | undefined => {
  const pvc = cluster.pvcs.find((p) => p.metadata.name === claim && (namespace === undefined || nsOf(p) === namespace))
  const events = eventsFor(cluster, "PersistentVolumeClaim", claim, namespace)
  const provisioning = events.filter((e) => e.reason === "ProvisioningFailed").at(-1)?.message
  const missingClass = /storageclass(?:\.storage\.k8s\.io)? "([^"]+)" not found/i.exec(provisioning ?? "")?.[1]
  const className = pvc?.spec?.storageClassName ?? missingClass
  const classes = cluster.storageClasses.map((s) => s.metadata.name)
  if (pvc === undefined && missingClass === undefined)
    return cluster.pvcs.length > 0 ? `PersistentVolumeClaim ${claim} does not exist` : undefined
  if (pvc?.status?.phase === "Bound") return undefined
  if (
    className !== undefined &&
    className !== "" &&
    (missingClass !== undefined || (classes.length > 0 && !classes.includes(className)))
  ) {
    return `PersistentVolumeClaim ${claim} requests StorageClass ${className}, which does not exist (not found)${classes.length > 0 ? ` — the cluster only has ${classes.join(", ")}` : ""}, so it can never be provisioned or bound`
  }
  if (
    className === undefined &&
    classes.length > 0 &&
    !cluster.storageClasses.some((s) => s.metadata.annotations?.[DEFAULT_ANNOTATION] === "true")
  ) {
    return `PersistentVolumeClaim ${claim} names no StorageClass and the cluster has no default StorageClass, so it stays Pending`
  }
  if (provisioning !== undefined)
    return `provisioning PersistentVolumeClaim ${claim} fails: "${provisioning.slice(0, 200)}"`
  if (
    pvc?.spec?.volumeName !== undefined &&
    !cluster.pvs.some((v) => v.metadata.name === pvc.spec?.volumeName) &&
    cluster.pvs.length > 0
  ) {
    return `PersistentVolumeClaim ${claim} is bound to PersistentVolume ${pvc.spec.volumeName}, which does not exist`
  }
  return undefined
}

/** Finds unbound claims with a decisive cause and pods whose volumes cannot attach. */
export const storageAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  for (const pvc of cluster.pvcs) {
    if (pvc.status?.phase === "Bound") continue
    const ns = nsOf(pvc)
    const problem = pvcProblem(cluster, pvc.metadata.name, ns)
    if (problem === undefined) continue
    const pvcRef = ref("PersistentVolumeClaim", pvc.metadata.name, ns)
    const users = cluster.pods.filter(
      (p) =>
        nsOf(p) === ns && (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === pvc.metadata.name)
    )
    const owner = users[0]?.metadata.ownerReferences?.[0]
    out.push({
      analyzer: "storage",
      title: `PVC ${pvc.metadata.name} not bound`,
      object: pvcRef,
      summary: `${problem.charAt(0).toUpperCase()}${problem.slice(1)}${users.length > 0 ? `; pod ${users.map((u) => u.metadata.name).join(", ")}${owner === undefined ? "" : ` (${owner.kind} ${owner.name})`} stays Pending with unbound PersistentVolumeClaims` : ""}.`,
      severity: "critical",
      confidence: "high",
      score: 91,
      evidence: [objectEvidence(pvcRef), eventEvidence(pvcRef, "ProvisioningFailed")],
      next_steps: [
        "Create the missing StorageClass or change storageClassName (for a StatefulSet, in volumeClaimTemplates; then delete the Pending PVC so it is recreated).",
        "kubectl get storageclass"
      ],
      related: [
        ...users.map((u) => ref("Pod", u.metadata.name, nsOf(u))),
        ...(owner === undefined ? [] : [ref(owner.kind, owner.name, ns)])
      ]
    })
  }
  for (const pod of cluster.pods) {
    const ns = nsOf(pod)
    const ev = eventsFor(cluster, "Pod", pod.metadata.name, ns).find(
      (e) =>
        (e.reason === "FailedAttachVolume" || e.reason === "FailedMount") &&
        /Multi-Attach|attach|timed out waiting for the condition|unmounted volumes/i.test(e.message ?? "") &&
        !/(secret|configmap)s? "/i.test(e.message ?? "")
    )
    if (ev === undefined) continue
    const podRef = ref("Pod", pod.metadata.name, ns)
    const multi = /Multi-Attach/i.test(ev.message ?? "")
    out.push({
      analyzer: "storage",
      title: `${ev.reason ?? "FailedMount"}: ${pod.metadata.name}`,
      object: podRef,
      summary: `Pod ${pod.metadata.name} cannot start because its volume cannot be ${multi ? "attached: the ReadWriteOnce volume is still attached to another node (Multi-Attach error)" : "attached/mounted"} — "${(ev.message ?? "").slice(0, 200)}".`,
      severity: "high",
      confidence: multi ? "high" : "medium",
      score: multi ? 85 : 65,
      evidence: [eventEvidence(podRef, ev.reason ?? "FailedMount")],
      next_steps: ["Find the pod/node still holding the volume (kubectl get volumeattachments) and let it detach."],
      related: []
    })
  }
  return out
}

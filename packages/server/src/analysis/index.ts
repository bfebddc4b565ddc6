/**
 * Deterministic Kubernetes diagnosis without an LLM: `analyze(snapshot)` runs every analyzer over a gathered
 * `ClusterSnapshot` and concludes with a ranked root cause; `extractEntities` resolves an incident description.
 */
import { decodeSnapshot, type ClusterSnapshot } from "./snapshot.js"
import type { Analyzer, Finding } from "./finding.js"
import { conclude, type Conclusion } from "./conclude.js"
import { crashLoopAnalyzer } from "./analyzers/crashloop.js"
import { oomAnalyzer } from "./analyzers/oom.js"
import { imagePullAnalyzer } from "./analyzers/image-pull.js"
import { containerConfigAnalyzer } from "./analyzers/container-config.js"
import { probeAnalyzer } from "./analyzers/probes.js"
import { schedulingAnalyzer } from "./analyzers/scheduling.js"
import { storageAnalyzer } from "./analyzers/storage.js"
import { quotaAnalyzer } from "./analyzers/quota.js"
import { initContainerAnalyzer } from "./analyzers/init-containers.js"
import { jobAnalyzer } from "./analyzers/jobs.js"
import { rolloutAnalyzer } from "./analyzers/rollout.js"
import { serviceAnalyzer } from "./analyzers/service.js"
import { nodeAnalyzer } from "./analyzers/nodes.js"
import { networkPolicyAnalyzer } from "./analyzers/network-policy.js"
import { hpaAnalyzer } from "./analyzers/hpa.js"
import { cpuThrottlingAnalyzer } from "./analyzers/cpu-throttling.js"
import { appLogAnalyzer } from "./analyzers/app-logs.js"
import { makeDependencyAnalyzer } from "./analyzers/dependency.js"

/** Analyzers whose findings can explain why a Service's backends fail (inputs to the dependency walk). */
export const UPSTREAM_ANALYZERS: ReadonlyArray<Analyzer> = [
  crashLoopAnalyzer,
  oomAnalyzer,
  imagePullAnalyzer,
  containerConfigAnalyzer,
  probeAnalyzer,
  schedulingAnalyzer,
  storageAnalyzer,
  quotaAnalyzer,
  initContainerAnalyzer,
  serviceAnalyzer,
  nodeAnalyzer,
  networkPolicyAnalyzer
]

/** Every analyzer, in the order their findings are collected. */
export const ANALYZERS: ReadonlyArray<Analyzer> = [
  ...UPSTREAM_ANALYZERS,
  jobAnalyzer,
  rolloutAnalyzer,
  hpaAnalyzer,
  cpuThrottlingAnalyzer,
  appLogAnalyzer,
  makeDependencyAnalyzer(UPSTREAM_ANALYZERS)
]

/** Runs every analyzer over a decoded snapshot. */
export const runAnalyzers = (snapshot: ClusterSnapshot): ReadonlyArray<Finding> => {
  const cluster = decodeSnapshot(snapshot)
  return ANALYZERS.flatMap((a) => a(cluster))
}

/** Diagnoses a gathered snapshot: runs all analyzers and concludes with a ranked root cause. Pure; never throws. */
export const analyze = (snapshot: ClusterSnapshot): Conclusion => {
  const cluster = decodeSnapshot(snapshot)
  return conclude(
    cluster,
    ANALYZERS.flatMap((a) => a(cluster))
  )
}

export { extractEntities, knownNamesFromSnapshot } from "./entities.js"
export type { ExtractedEntities, KnownNames, KnownObject } from "./entities.js"
export type { ClusterSnapshot, Cluster } from "./snapshot.js"
export { decodeSnapshot } from "./snapshot.js"
export type { Conclusion } from "./conclude.js"
export type { Finding, ObjectRef, Confidence, Severity, Analyzer } from "./finding.js"
export type { Focus } from "./focus.js"

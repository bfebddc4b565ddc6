/**
 * The analyzers' output type and helpers to build evidence references.
 */
import type { Cluster } from "./snapshot.js"

/** How bad the problem is for the workload. */
export type Severity = "critical" | "high" | "medium" | "low" | "info"

/** Confidence that a finding (or conclusion) is right, from the strength of its evidence. */
export type Confidence = "high" | "medium" | "low"

/** A Kubernetes object a finding is about. */
export interface ObjectRef {
  readonly kind: string
  readonly name: string
  readonly namespace?: string
}

/**
 * One diagnosis. The first eight fields are the wire `Finding` of `@sre/schema`; `score` and `related` are ranking
 * hints for `conclude` (they are dropped by a schema encode).
 */
export interface Finding {
  readonly analyzer: string
  readonly title: string
  readonly object: ObjectRef
  /** The root-cause sentence: names the object, the mechanism and the decisive value. */
  readonly summary: string
  readonly severity: Severity
  readonly confidence: Confidence
  /** References to evidence items: `event:ns/Kind/name/Reason`, `log:ns/pod/container[/previous]`, `object:ns/Kind/name`. */
  readonly evidence: ReadonlyArray<string>
  readonly next_steps: ReadonlyArray<string>
  /** 0–100: how specific and decisive the finding is (a named missing key beats "container restarting"). */
  readonly score: number
  /** Other objects the finding involves (owners, affected pods, downstream clients). */
  readonly related: ReadonlyArray<ObjectRef>
}

/** An analyzer: a pure function of the decoded cluster. */
export type Analyzer = (cluster: Cluster) => ReadonlyArray<Finding>

/** Builds an `ObjectRef` (omitting an absent namespace). */
export const ref = (kind: string, name: string, namespace: string | undefined): ObjectRef =>
  namespace === undefined ? { kind, name } : { kind, name, namespace }

/** Evidence reference to an object: `object:ns/Kind/name`. */
export const objectEvidence = (r: ObjectRef): string => `object:${r.namespace ?? "_"}/${r.kind}/${r.name}`

/** Evidence reference to an event: `event:ns/Kind/name/Reason`. */
export const eventEvidence = (r: ObjectRef, reason: string): string =>
  `event:${r.namespace ?? "_"}/${r.kind}/${r.name}/${reason}`

/** Evidence reference to a log: `log:ns/pod/container[/previous]`. */
export const logEvidence = (namespace: string, pod: string, container: string, previous: boolean): string =>
  `log:${namespace}/${pod}/${container}${previous ? "/previous" : ""}`

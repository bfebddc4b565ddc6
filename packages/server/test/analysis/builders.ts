/**
 * Small hand-made Kubernetes objects for analyzer unit tests (deliberately unlike the scenario files).
 */
import { decodeSnapshot, type Cluster, type ClusterSnapshot } from "../../src/analysis/snapshot.js"

type Json = Record<string, unknown>

/** A pod owned by ReplicaSet `<app>-5d4c3b2a1` of Deployment `<app>`. */
export const podOf = (
  app: string,
  suffix: string,
  ns: string,
  opts: { spec?: Json; status?: Json; labels?: Record<string, string>; owner?: { kind: string; name: string } } = {}
): Json => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: `${app}-5d4c3b2a1-${suffix}`,
    namespace: ns,
    labels: opts.labels ?? { app, "pod-template-hash": "5d4c3b2a1" },
    ownerReferences: [
      opts.owner === undefined
        ? { kind: "ReplicaSet", name: `${app}-5d4c3b2a1`, controller: true }
        : { ...opts.owner, controller: true }
    ]
  },
  spec: { nodeName: "n1", containers: [{ name: app, image: `registry.example/${app}:1.0` }], ...opts.spec },
  status: { phase: "Running", ...opts.status }
})

/** A core/v1 Event. */
export const event = (
  kind: string,
  name: string,
  ns: string | undefined,
  reason: string,
  message: string,
  count = 1
): Json => ({
  involvedObject: ns === undefined ? { kind, name } : { kind, name, namespace: ns },
  reason,
  message,
  type: "Warning",
  count
})

/** Decodes a raw snapshot for direct analyzer calls. */
export const cluster = (s: ClusterSnapshot): Cluster => decodeSnapshot(s)

/** A crash-looping container status. */
export const crashStatus = (name: string, exitCode: number, reason = "Error"): Json => ({
  name,
  ready: false,
  restartCount: 5,
  state: { waiting: { reason: "CrashLoopBackOff" } },
  lastState: { terminated: { exitCode, reason } }
})

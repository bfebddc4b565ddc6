/**
 * Explains why a container terminated: exit-code meaning plus the decisive line of its (previous) log, resolved
 * against the ConfigMaps/Secrets it consumes. Shared by the CrashLoop, init-container and Job analyzers.
 */
import type { Cluster, Container, ContainerStatus, Pod } from "../snapshot.js"
import { eventsFor, logOf, nsOf, shortImage } from "../cluster.js"
import { eventEvidence, logEvidence, ref, type Confidence } from "../finding.js"
import { decisiveSignal, type LogSignal } from "../logs.js"
import { explainMissingVariable, locateValue } from "../config-refs.js"
import { describeHost } from "./dependency-resolve.js"

/** Why a container ended, as prose plus evidence. */
export interface TerminationExplanation {
  /** Clause starting with a verb, e.g. `exits with code 1 because environment variable X is not set: "..."`. */
  readonly clause: string
  readonly score: number
  readonly confidence: Confidence
  readonly evidence: ReadonlyArray<string>
  readonly nextSteps: ReadonlyArray<string>
  /** The log signal behind the clause, if any. */
  readonly signal?: LogSignal
  readonly exitCode?: number
}

const EXEC_FAIL =
  /exec(?:utable)?[^"]*"([^"]+)"[^:]*: (?:executable file not found in \$PATH|no such file or directory|permission denied)|OCI runtime (?:create|exec) failed[^\n]*/i

/** The last terminated state of a container (current if terminated, else lastState). */
export const lastTermination = (s: ContainerStatus) => s.state?.terminated ?? s.lastState?.terminated

const exitMeaning = (code: number): string | undefined => {
  if (code === 126) return "exit 126: the command was found but is not executable (permission denied)"
  if (code === 127) return "exit 127: the command or entrypoint was not found in the image"
  if (code === 128) return "exit 128: the container runtime could not start the process"
  if (code === 137) return "exit 137: killed by SIGKILL"
  if (code === 139) return "exit 139: segmentation fault (SIGSEGV)"
  if (code === 143) return "exit 143: terminated by SIGTERM"
  return undefined
}

/** Explains a container's failure from its status, events and logs; `undefined` when it never terminated. */
export const explainTermination = (
  cluster: Cluster,
  pod: Pod,
  spec: Container | undefined,
  status: ContainerStatus
): TerminationExplanation | undefined => {
  const ns = nsOf(pod)
  const podRef = ref("Pod", pod.metadata.name, ns)
  const term = lastTermination(status)
  const waitingMsg = status.state?.waiting?.message ?? ""
  const failedEvents = eventsFor(cluster, "Pod", pod.metadata.name, ns).filter(
    (e) => e.reason === "Failed" && ((e.message ?? "").includes(`"${status.name}"`) || EXEC_FAIL.test(e.message ?? ""))
  )
  const execText = [waitingMsg, term?.message ?? "", ...failedEvents.map((e) => e.message ?? "")].find((t) =>
    EXEC_FAIL.test(t)
  )
  if (execText !== undefined) {
    const m = EXEC_FAIL.exec(execText)
    const binary = m?.[1]
    const quoted = /exec[^\n]*?(?:\$PATH|directory|denied)/.exec(execText)?.[0] ?? m?.[0] ?? execText
    const override = spec?.command !== undefined && binary !== undefined && spec.command.includes(binary)
    const image = spec?.image === undefined ? "" : ` ${shortImage(spec.image)}`
    const code = term?.exitCode
    return {
      clause:
        `cannot start: its ${override ? "command override" : "command/entrypoint"} ${binary === undefined ? "" : `"${binary}" `}does not exist in the image${image} ('${quoted}'` +
        `${code === undefined ? "" : `, exit ${code}`})`,
      score: 92,
      confidence: "high",
      evidence:
        failedEvents.length > 0 ? [eventEvidence(podRef, "Failed")] : [`object:${ns ?? "_"}/Pod/${pod.metadata.name}`],
      nextSteps: [
        `Check the container command/args against the image's entrypoint (e.g. \`docker run --entrypoint sh${image} -c 'ls /usr/local/bin'\`).`,
        "Fix the command in the workload spec or roll back to the previous revision."
      ],
      ...(binary === undefined ? {} : { signal: { kind: "exec-not-found", line: quoted, key: binary } }),
      ...(code === undefined ? {} : { exitCode: code })
    }
  }
  if (term === undefined) return undefined
  const code = term.exitCode ?? -1
  const prev = logOf(cluster, ns, pod.metadata.name, status.name, true)
  const cur = logOf(cluster, ns, pod.metadata.name, status.name, false)
  const usePrev = prev !== undefined && prev.trim() !== ""
  const log = usePrev ? prev : cur
  const logRef = logEvidence(ns ?? "_", pod.metadata.name, status.name, usePrev)
  const signal = log === undefined ? undefined : decisiveSignal(log)
  const exitText = `exits with code ${code}${term.reason !== undefined && term.reason !== "Error" ? ` (${term.reason})` : ""}`
  const meaning = exitMeaning(code)
  if (signal === undefined) {
    return {
      clause: `${exitText}${meaning === undefined ? "" : ` — ${meaning}`}; its ${usePrev ? "previous" : "current"} log ${log === undefined ? "was not available" : "shows no error line"}`,
      score: meaning === undefined ? 35 : 45,
      confidence: "low",
      evidence: log === undefined ? [] : [logRef],
      nextSteps: [
        `Read the full previous log: kubectl logs -n ${ns ?? "default"} ${pod.metadata.name} -c ${status.name} --previous`
      ],
      exitCode: code
    }
  }
  const base = { evidence: [logRef], signal, exitCode: code }
  const quote = `"${signal.line}"`
  switch (signal.kind) {
    case "missing-env": {
      const key = signal.key ?? "?"
      const why = spec === undefined ? undefined : explainMissingVariable(cluster, pod, spec, key)
      return {
        ...base,
        clause: `${exitText} because environment variable ${key} is not set (${quote})${why === undefined ? "" : `; ${why.text}`}`,
        score: 90,
        confidence: "high",
        nextSteps: [
          `Add ${key} to the ConfigMap/Secret the container loads (or rename the key the app reads), then restart the pods.`,
          `Compare with the previous revision: kubectl rollout history -n ${ns ?? "default"}`
        ]
      }
    }
    case "invalid-config":
    case "missing-config": {
      const loc = spec === undefined ? undefined : locateValue(cluster, pod, spec, signal.key, signal.value)
      const where =
        loc === undefined
          ? ""
          : `; the value comes from ConfigMap ${loc.configMap} (key ${loc.dataKey}: \`${loc.line}\`)`
      return {
        ...base,
        clause: `${exitText} on ${signal.kind === "invalid-config" ? "an invalid config value" : "a missing config key"}${signal.key === undefined ? "" : ` (${signal.key}${signal.value === undefined ? "" : ` = "${signal.value}"`})`}: ${quote}${where}`,
        score: loc === undefined ? 84 : 90,
        confidence: loc === undefined ? "medium" : "high",
        nextSteps: [
          loc === undefined
            ? "Find the offending setting in the container's config and fix its value."
            : `Fix \`${loc.line}\` in ConfigMap ${loc.configMap} (e.g. give a duration a unit such as 30s) and restart the pods.`
        ]
      }
    }
    case "dns":
    case "connection-refused":
    case "timeout": {
      const host = signal.host === undefined ? undefined : describeHost(cluster, pod, spec, signal.host, signal.kind)
      return {
        ...base,
        clause: `${exitText} after failing to reach ${signal.host ?? "a dependency"} (${quote})${host === undefined ? "" : `; ${host.text}`}`,
        score: host?.missing === true ? 88 : 70,
        confidence: host?.missing === true ? "high" : "medium",
        evidence: [...base.evidence, ...(host?.evidence ?? [])],
        nextSteps: host?.nextSteps ?? ["Check the dependency the container connects to and its Service/endpoints."]
      }
    }
    case "incompatible":
      return {
        ...base,
        clause: `${exitText}${spec?.image === undefined ? "" : ` running image ${shortImage(spec.image)}`}: a version incompatibility — ${quote}`,
        score: 86,
        confidence: "high",
        nextSteps: [
          "Roll the image back to the previous version, or run the required upgrade/migration before bumping the major version."
        ]
      }
    default:
      return {
        ...base,
        clause: `${exitText}${meaning === undefined ? "" : ` (${meaning})`}; its ${usePrev ? "previous" : "current"} log ends with ${quote}`,
        score: signal.kind === "fatal" || signal.kind === "exception" ? 72 : 78,
        confidence: "medium",
        nextSteps: [
          `Read the log around that line: kubectl logs -n ${ns ?? "default"} ${pod.metadata.name} -c ${status.name} --previous`
        ]
      }
  }
}

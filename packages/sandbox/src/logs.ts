/**
 * Pod logs with the API's own error messages (container selection by the API server, state checks by the kubelet).
 */
import { Either } from "effect"
import { rec, recs, str, type JsonRecord } from "./json.js"

/** Options of a log request. */
export interface LogOptions {
  readonly container: string | undefined
  readonly previous: boolean
  readonly tailLines: number | undefined
  readonly limitBytes: number | undefined
}

/** A log request the API refuses: the message is the API's, the code 400. */
export interface LogError {
  readonly message: string
}

const names = (containers: ReadonlyArray<JsonRecord>): string => containers.map((c) => str(c, "name") ?? "").join(" ")

/** Picks the container as the API server does, or explains why it cannot. */
export const selectContainer = (pod: JsonRecord, requested: string | undefined): Either.Either<string, LogError> => {
  const podName = str(pod, "metadata.name") ?? ""
  const containers = recs(pod, "spec.containers")
  const inits = recs(pod, "spec.initContainers")
  const ephemerals = recs(pod, "spec.ephemeralContainers")
  if (requested === undefined || requested === "") {
    const only = containers.length === 1 ? str(containers[0], "name") : undefined
    if (only !== undefined) return Either.right(only)
    if (containers.length === 0)
      return Either.left({ message: `a container name must be specified for pod ${podName}` })
    const initPart = inits.length > 0 ? ` or one of the init containers: [${names(inits)}]` : ""
    return Either.left({
      message: `a container name must be specified for pod ${podName}, choose one of: [${names(containers)}]${initPart}`
    })
  }
  const all = [...containers, ...inits, ...ephemerals]
  if (!all.some((c) => c.name === requested))
    return Either.left({ message: `container ${requested} is not valid for pod ${podName}` })
  return Either.right(requested)
}

const statusOf = (pod: JsonRecord, container: string): JsonRecord | undefined =>
  [
    ...recs(pod, "status.containerStatuses"),
    ...recs(pod, "status.initContainerStatuses"),
    ...recs(pod, "status.ephemeralContainerStatuses")
  ].find((s) => s.name === container)

const applyLimits = (text: string, options: LogOptions): string => {
  let out = text
  if (options.tailLines !== undefined) {
    const lines = out.split("\n")
    const trailing = lines[lines.length - 1] === "" ? lines.pop() : undefined
    out =
      options.tailLines <= 0 ? "" : lines.slice(-options.tailLines).join("\n") + (trailing === undefined ? "" : "\n")
  }
  if (options.limitBytes !== undefined && options.limitBytes >= 0)
    out = Buffer.from(out).subarray(0, options.limitBytes).toString()
  return out
}

const withNewline = (text: string): string => (text === "" || text.endsWith("\n") ? text : `${text}\n`)

/**
 * The log text of a container, following the kubelet's rules: `previous` needs a terminated earlier instance;
 * a crash-looping container (waiting with a terminated last state) serves its last instance; a container that
 * never started is "waiting to start". Logs come from the scenario's `<pod>/<container>[/previous]` entries.
 */
export const podLog = (
  pod: JsonRecord,
  logs: Readonly<Record<string, string>>,
  options: LogOptions
): Either.Either<string, LogError> =>
  Either.flatMap(selectContainer(pod, options.container), (container) => {
    const podName = str(pod, "metadata.name") ?? ""
    const key = `${podName}/${container}`
    const current = logs[key]
    const previousLog = logs[`${key}/previous`]
    const status = statusOf(pod, container)
    const state = rec(status, "state")
    const last = rec(status, "lastState")
    const lastTerminated = last.terminated
    const waiting = rec(state, "waiting")
    const serve = (text: string | undefined): Either.Either<string, LogError> =>
      Either.right(applyLimits(withNewline(text ?? ""), options))
    if (options.previous) {
      if (lastTerminated === undefined || lastTerminated === null)
        return Either.left({ message: `previous terminated container "${container}" in pod "${podName}" not found` })
      // While crash-looping (waiting), the previous instance is also the last one that ran.
      return serve(previousLog ?? (state.waiting === undefined ? undefined : current))
    }
    if (status === undefined) {
      // Not yet scheduled: the API server has no node to ask and answers with an empty body.
      if (str(pod, "spec.nodeName") === undefined) return serve(current)
      return current === undefined
        ? Either.left({ message: `container "${container}" in pod "${podName}" is waiting to start - no logs yet` })
        : serve(current)
    }
    if (state.running !== undefined || state.terminated !== undefined) return serve(current ?? previousLog)
    if (lastTerminated !== undefined && lastTerminated !== null) return serve(current ?? previousLog)
    if (current !== undefined) return serve(current)
    if (state.waiting !== undefined) {
      const reason = str(waiting, "reason") ?? ""
      const why =
        reason === "ErrImagePull"
          ? "image can't be pulled"
          : reason === "ImagePullBackOff"
            ? "trying and failing to pull image"
            : reason
      return Either.left({ message: `container "${container}" in pod "${podName}" is waiting to start: ${why}` })
    }
    return Either.left({ message: `container "${container}" in pod "${podName}" is waiting to start - no logs yet` })
  })

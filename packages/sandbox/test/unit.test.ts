import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { decodeProtobufReview, reviewSpec, scanVerb } from "../src/access.js"
import { parseArgs } from "../src/args.js"
import { buildCluster } from "../src/cluster.js"
import { podLog, type LogOptions } from "../src/logs.js"
import { parseQuantity } from "../src/quantity.js"
import { loadScenario, parseScenario, type Scenario } from "../src/scenario.js"
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "../src/selectors.js"
import { podStatus } from "../src/table.js"
import { humanDuration, NEWEST_AGE_MS, newestTimestamp, shiftTimestamp, shiftTimestampsInText } from "../src/time.js"
import { asRecord, callJson, ssarProtobuf } from "./helpers.js"

const labels = (selector: string, l: Record<string, string>): boolean =>
  Either.getOrThrow(Either.map(parseLabelSelector(selector), (s) => matchesLabels(s, l)))
const fields = (selector: string, o: unknown): boolean =>
  Either.getOrThrow(Either.map(parseFieldSelector(selector), (s) => matchesFields(s, o)))

describe("label selectors", () => {
  const l = { app: "web", tier: "frontend", "app.kubernetes.io/name": "web" }
  it("supports =, ==, !=", () => {
    expect(labels("app=web", l)).toBe(true)
    expect(labels("app==web", l)).toBe(true)
    expect(labels("app!=web", l)).toBe(false)
    expect(labels("app!=db", l)).toBe(true)
    expect(labels("missing!=x", l)).toBe(true)
    expect(labels("app=web,tier=backend", l)).toBe(false)
    expect(labels("app.kubernetes.io/name=web", l)).toBe(true)
  })
  it("supports in, notin, exists and !key", () => {
    expect(labels("tier in (frontend, backend)", l)).toBe(true)
    expect(labels("tier notin (frontend)", l)).toBe(false)
    expect(labels("env notin (prod)", l)).toBe(true)
    expect(labels("tier", l)).toBe(true)
    expect(labels("!tier", l)).toBe(false)
    expect(labels("!env,app in (web,api)", l)).toBe(true)
    expect(labels("", l)).toBe(true)
  })
  it("rejects malformed selectors with the API's wording", () => {
    const bad = parseLabelSelector("app=web=x")
    expect(Either.isLeft(bad)).toBe(true)
    expect(Either.isLeft(bad) ? bad.left : "").toMatch(/unable to parse requirement/)
  })
})

describe("field selectors", () => {
  const event = {
    involvedObject: { name: "x", kind: "Pod" },
    type: "Warning",
    metadata: { name: "e", namespace: "ns" }
  }
  it("matches dotted paths with =, == and !=", () => {
    expect(fields("involvedObject.name=x,involvedObject.kind=Pod", event)).toBe(true)
    expect(fields("involvedObject.name==x", event)).toBe(true)
    expect(fields("involvedObject.name=y", event)).toBe(false)
    expect(fields("type!=Normal", event)).toBe(true)
    expect(fields("metadata.namespace=ns,metadata.name=e", event)).toBe(true)
  })
  it("reads a missing field as the empty string", () => {
    const pod = { spec: {}, status: { phase: "Pending" } }
    expect(fields("spec.nodeName=", pod)).toBe(true)
    expect(fields("spec.nodeName=n", pod)).toBe(false)
    expect(fields("status.phase!=Running", pod)).toBe(true)
  })
  it("rejects terms without an operator", () => {
    expect(Either.isLeft(parseFieldSelector("status.phase"))).toBe(true)
  })
})

describe("timestamps", () => {
  it("shifts keeping the layout", () => {
    expect(shiftTimestamp("2026-11-20T13:52:05Z", 60_000)).toBe("2026-11-20T13:53:05Z")
    expect(shiftTimestamp("2026-11-20T23:59:30.123456Z", 60_000)).toBe("2026-11-21T00:00:30.123456Z")
    expect(shiftTimestamp("not a time", 60_000)).toBe("not a time")
    expect(shiftTimestampsInText("2026-11-20 10:15:00,123 INFO x at 2026-11-20T10:15:02.771Z", 3_600_000)).toBe(
      "2026-11-20 11:15:00,123 INFO x at 2026-11-20T11:15:02.771Z"
    )
  })
  it("moves the newest scenario timestamp to three minutes before start", () => {
    const scenario: Scenario = {
      id: "t",
      namespace: "ns",
      incidentDescription: "",
      source: "t.json",
      objects: [
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p", creationTimestamp: "2020-01-01T00:00:00Z" },
          spec: { nodeName: "n1", containers: [{ name: "c" }] },
          status: {
            startTime: "2020-01-01T00:00:01Z",
            conditions: [
              { type: "Ready", status: "True", lastTransitionTime: "2020-01-01T00:10:00Z", lastProbeTime: null }
            ],
            containerStatuses: [{ name: "c", state: { running: { startedAt: "2020-01-01T00:00:02Z" } } }]
          }
        }
      ],
      events: [
        { involvedObject: { kind: "Pod", name: "p" }, reason: "Started", lastTimestamp: "2020-01-01T01:00:00Z" }
      ],
      logs: { "p/c": "2020-01-01T00:59:00Z hello" }
    }
    const now = Date.parse("2030-05-05T12:00:00Z")
    const cluster = buildCluster(scenario, now)
    const newest = newestTimestamp(
      cluster.objects.filter((s) => s.def.kind === "Event" || s.def.kind === "Pod").map((s) => s.object)
    )
    expect(newest).toBe(now - NEWEST_AGE_MS)
    const pod = cluster.objects.find((s) => s.def.kind === "Pod")
    expect(pod?.object).toMatchObject({
      metadata: {
        namespace: "ns",
        creationTimestamp: "2030-05-05T10:57:00Z",
        resourceVersion: expect.any(String),
        uid: expect.any(String)
      },
      status: { containerStatuses: [{ state: { running: { startedAt: "2030-05-05T10:57:02Z" } } }] }
    })
    expect(cluster.logs["p/c"]).toBe("2030-05-05T11:56:00Z hello")
    // the implicit node and namespace exist; the event got metadata and the pod's uid
    expect(cluster.objects.some((s) => s.def.kind === "Node" && s.name === "n1")).toBe(true)
    expect(cluster.objects.some((s) => s.def.kind === "Namespace" && s.name === "ns")).toBe(true)
    const event = cluster.objects.find((s) => s.def.kind === "Event")
    expect(event?.object).toMatchObject({
      apiVersion: "v1",
      kind: "Event",
      metadata: { namespace: "ns", name: expect.stringMatching(/^p\.[0-9a-f]{16}$/), uid: expect.any(String) },
      involvedObject: { uid: asRecord(pod?.object.metadata).uid, namespace: "ns", apiVersion: "v1" },
      count: 1
    })
  })
  it("formats ages like kubectl", () => {
    expect(humanDuration(45_000)).toBe("45s")
    expect(humanDuration(5 * 60_000 + 26_000)).toBe("5m26s")
    expect(humanDuration(30 * 60_000)).toBe("30m")
    expect(humanDuration(5 * 3_600_000 + 60_000)).toBe("5h1m")
    expect(humanDuration(70 * 3_600_000)).toBe("2d22h")
    expect(humanDuration(30 * 86_400_000)).toBe("30d")
  })
})

const pod = {
  metadata: { name: "api-1" },
  spec: {
    nodeName: "n1",
    initContainers: [{ name: "init" }],
    containers: [{ name: "app" }, { name: "sidecar" }, { name: "pulling" }, { name: "creating" }]
  },
  status: {
    initContainerStatuses: [{ name: "init", state: { terminated: { exitCode: 0, reason: "Completed" } } }],
    containerStatuses: [
      {
        name: "app",
        restartCount: 4,
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { exitCode: 1, containerID: "containerd://1" } }
      },
      { name: "sidecar", state: { running: { startedAt: "2020-01-01T00:00:00Z" } }, lastState: {} },
      { name: "pulling", state: { waiting: { reason: "ImagePullBackOff" } }, lastState: {} },
      { name: "creating", state: { waiting: { reason: "ContainerCreating" } }, lastState: {} }
    ]
  }
}
const logs = {
  "api-1/app": "boom 1\nboom 2\nfatal\n",
  "api-1/app/previous": "prev\n",
  "api-1/sidecar": "ok",
  "api-1/init": "init done"
}
const opts = (o: Partial<LogOptions>): LogOptions => ({
  container: undefined,
  previous: false,
  tailLines: undefined,
  limitBytes: undefined,
  ...o
})
const logOf = (o: Partial<LogOptions>): string =>
  Either.match(podLog(pod, logs, opts(o)), { onLeft: (e) => `ERR ${e.message}`, onRight: (t) => t })

describe("pod logs", () => {
  it("needs a container name when the pod has several", () => {
    expect(logOf({})).toBe(
      "ERR a container name must be specified for pod api-1, choose one of: [app sidecar pulling creating] or one of the init containers: [init]"
    )
  })
  it("rejects an unknown container", () => {
    expect(logOf({ container: "nope" })).toBe("ERR container nope is not valid for pod api-1")
  })
  it("serves current, previous, init and tailLines", () => {
    expect(logOf({ container: "app" })).toBe("boom 1\nboom 2\nfatal\n")
    expect(logOf({ container: "app", tailLines: 1 })).toBe("fatal\n")
    expect(logOf({ container: "app", previous: true })).toBe("prev\n")
    expect(logOf({ container: "sidecar" })).toBe("ok\n")
    expect(logOf({ container: "init" })).toBe("init done\n")
  })
  it("uses the kubelet's messages for containers that never ran", () => {
    expect(logOf({ container: "sidecar", previous: true })).toBe(
      'ERR previous terminated container "sidecar" in pod "api-1" not found'
    )
    expect(logOf({ container: "creating" })).toBe(
      'ERR container "creating" in pod "api-1" is waiting to start: ContainerCreating'
    )
    expect(logOf({ container: "pulling" })).toBe(
      'ERR container "pulling" in pod "api-1" is waiting to start: trying and failing to pull image'
    )
  })
})

describe("pod STATUS column", () => {
  it("follows kubectl's rules", () => {
    expect(podStatus(pod)).toMatchObject({ reason: "CrashLoopBackOff", ready: 0, total: 4, restarts: 4 })
    expect(
      podStatus({
        spec: { initContainers: [{ name: "wait" }], containers: [{ name: "app" }] },
        status: {
          phase: "Pending",
          initContainerStatuses: [
            { name: "wait", restartCount: 6, state: { waiting: { reason: "CrashLoopBackOff" } } }
          ],
          containerStatuses: [{ name: "app", state: { waiting: { reason: "PodInitializing" } } }]
        }
      })
    ).toMatchObject({ reason: "Init:CrashLoopBackOff", restarts: 6 })
    expect(
      podStatus({ metadata: { deletionTimestamp: "2020-01-01T00:00:00Z" }, status: { phase: "Running" } }).reason
    ).toBe("Terminating")
  })
})

describe("scenario validation", () => {
  const valid = { id: "x", incident_description: "d", namespace: "ns", objects: [], events: [], logs: {} }
  it("names the file and the field", () => {
    const doc = {
      ...valid,
      objects: [
        { apiVersion: "v1", kind: "Pod", metadata: { name: "a" } },
        { apiVersion: "v1", kind: "Pod", metadata: { namespace: "ns" } }
      ]
    }
    const result = parseScenario("scenario.json", JSON.stringify(doc))
    expect(Either.isLeft(result) ? result.left.message : "").toBe("scenario.json: objects[1].metadata.name is missing")
    const wrongType = parseScenario("s.json", JSON.stringify({ ...valid, logs: { "p/c": 3 } }))
    expect(Either.isLeft(wrongType) ? wrongType.left.message : "").toMatch(
      /^s\.json: logs\["p\/c"\]: Expected string, actual 3/
    )
    const noKind = parseScenario("k.json", JSON.stringify({ ...valid, events: [{ reason: "x" }] }))
    expect(Either.isLeft(noKind) ? noKind.left.message : "").toBe("k.json: events[0].involvedObject is missing")
  })
  it("reports invalid JSON and unreadable files", async () => {
    const bad = parseScenario("broken.json", "{")
    expect(Either.isLeft(bad) ? bad.left.message : "").toMatch(/^broken\.json: invalid JSON/)
    const missing = await Effect.runPromise(Effect.flip(loadScenario("/nonexistent/s.json")))
    expect(missing._tag).toBe("ScenarioError")
    expect(missing.message).toMatch(/^\/nonexistent\/s\.json: cannot read/)
  })
  it("drops the scoring fields", () => {
    const result = parseScenario(
      "s.json",
      JSON.stringify({ ...valid, expected_root_cause: "SECRET", must_mention: ["a"], category: "oom" })
    )
    expect(JSON.stringify(Either.getOrThrow(result))).not.toContain("SECRET")
  })
})

describe("access reviews", () => {
  it("decodes a protobuf SelfSubjectAccessReview", () => {
    expect(decodeProtobufReview(ssarProtobuf("list", "pods"))).toEqual({
      resourceAttributes: { verb: "list", resource: "pods" }
    })
    expect(scanVerb(ssarProtobuf("delete", "pods"))).toBe("delete")
    expect(
      reviewSpec("application/json", Buffer.from(JSON.stringify({ spec: { resourceAttributes: { verb: "get" } } })))
    ).toEqual({
      resourceAttributes: { verb: "get" }
    })
  })
  it("allows reads and denies writes over the API", () => {
    const cluster = buildCluster(
      { id: "a", namespace: "ns", incidentDescription: "", source: "a", objects: [], events: [], logs: {} },
      Date.now()
    )
    const post = (verb: string) =>
      callJson(cluster, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
        method: "POST",
        headers: { "content-type": "application/vnd.kubernetes.protobuf" },
        body: ssarProtobuf(verb, "pods")
      })
    expect(post("list")).toMatchObject({
      status: 201,
      body: { kind: "SelfSubjectAccessReview", status: { allowed: true } }
    })
    expect(post("create")).toMatchObject({ status: 201, body: { status: { allowed: false } } })
  })
})

describe("quantities and args", () => {
  it("parses quantities", () => {
    expect(parseQuantity("250m")).toBeCloseTo(0.25)
    expect(parseQuantity("2")).toBe(2)
    expect(parseQuantity("512Mi")).toBe(512 * 1024 * 1024)
    expect(parseQuantity("1G")).toBe(1e9)
    expect(parseQuantity("1e3")).toBe(1000)
    expect(parseQuantity("lots")).toBeUndefined()
  })
  it("parses the command line", () => {
    expect(Either.getOrThrow(parseArgs(["--scenario", "a.json", "--port=8080"]))).toEqual({
      scenarioPath: "a.json",
      port: 8080
    })
    const bad = parseArgs(["--port", "x", "--scenario", "a"])
    expect(Either.isLeft(bad) ? bad.left.message : "").toMatch(/--port must be an integer/)
    expect(Either.isLeft(parseArgs([]))).toBe(true)
    expect(Either.isLeft(parseArgs(["--bogus"]))).toBe(true)
  })
})

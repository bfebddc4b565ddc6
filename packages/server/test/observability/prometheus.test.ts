/**
 * A real Prometheus scrapes the orchestrator's /metrics; a PromQL query through its HTTP API sees the incidents.
 * Skipped (with the reason printed) when the `prometheus` binary is not installed (scripts/observability/install.sh).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { postJson, request, startServer } from "../support.js"
import { eventually, findBinary, freePort, runProcess, tempDir } from "./realServers.js"

const prometheus = findBinary("prometheus")
if (prometheus === undefined) {
  console.log("skipping the real-Prometheus test: `prometheus` is not installed (run scripts/observability/install.sh)")
}

describe.skipIf(prometheus === undefined)("real Prometheus", () => {
  it.scopedLive(
    "scrapes /metrics and answers sre_incidents_created_total",
    () =>
      Effect.gen(function* () {
        const server = yield* startServer()
        const target = server.url.replace("http://", "")
        const dir = yield* tempDir("sre-prom-")
        const port = yield* freePort
        const config = join(dir, "prometheus.yml")
        // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the test's own temp directory
        writeFileSync(
          config,
          [
            "global:",
            "  scrape_interval: 1s",
            "  evaluation_interval: 1s",
            "scrape_configs:",
            "  - job_name: sre-orchestrator",
            "    metrics_path: /metrics",
            "    static_configs:",
            `      - targets: ["${target}"]`,
            ""
          ].join("\n")
        )
        const proc = yield* runProcess(prometheus ?? "prometheus", [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`
        ])
        for (const description of ["checkout pods restarting", "payments latency high", "node not ready"]) {
          const res = yield* postJson(`${server.url}/api/v1/incidents`, { description })
          expect(res.status).toBe(202)
        }
        yield* server.runner.awaitIdle
        const query = encodeURIComponent('sum(sre_incidents_created_total{job="sre-orchestrator",source="api"})')
        const value = yield* eventually(
          Effect.flatMap(
            // Prometheus may not listen yet: a refused connection is "not yet", not a failure of the test
            request(`http://127.0.0.1:${port}/api/v1/query?query=${query}`).pipe(
              Effect.catchAllDefect((d) => Effect.fail(`not reachable yet: ${String(d)}`))
            ),
            (res) => {
              const body = res.body as { data?: { result?: Array<{ value?: [number, string] }> } }
              const v = body.data?.result?.[0]?.value?.[1]
              return v === "3" ? Effect.succeed(v) : Effect.fail(`not yet: ${res.text.slice(0, 300)}`)
            }
          ),
          30_000
        ).pipe(Effect.catchAll((why) => Effect.fail(new Error(`${why}\nprometheus output:\n${proc.output()}`))))
        expect(value).toBe("3")
        const up = yield* request(
          `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('up{job="sre-orchestrator"}')}`
        )
        expect(up.text).toContain('"1"]')
      }),
    60_000
  )
})

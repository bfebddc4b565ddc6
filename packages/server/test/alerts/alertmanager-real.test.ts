/**
 * A real Alertmanager delivers its webhook to the orchestrator: an alert posted to its API (twice) results in
 * exactly one incident (source alertmanager). Skipped, with the reason printed, when `prometheus-alertmanager`
 * (or `alertmanager`) is not installed (scripts/observability/install.sh).
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { eventually, findBinary, freePort, runProcess, tempDir } from "../observability/realServers.js"
import { postJson, request, startServer } from "../support.js"

const alertmanager = findBinary("prometheus-alertmanager") ?? findBinary("alertmanager")
if (alertmanager === undefined) {
  console.log(
    "skipping the real-Alertmanager test: `prometheus-alertmanager` is not installed (run scripts/observability/install.sh)"
  )
}

const TOKEN = "real-am-token-0123456789abcdef"

describe.skipIf(alertmanager === undefined)("real Alertmanager", () => {
  it.scopedLive(
    "delivers a firing alert as exactly one incident",
    () =>
      Effect.gen(function* () {
        const server = yield* startServer().pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["ALERTMANAGER_WEBHOOK_TOKEN", TOKEN]])))
        )
        const dir = yield* tempDir("sre-am-")
        const port = yield* freePort
        const config = join(dir, "alertmanager.yml")
        // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file in the test's own temp directory
        writeFileSync(
          config,
          [
            "route:",
            "  receiver: sre-orchestrator",
            "  group_by: [alertname, namespace]",
            "  group_wait: 1s",
            "  group_interval: 1s",
            "  repeat_interval: 1h",
            "receivers:",
            "  - name: sre-orchestrator",
            "    webhook_configs:",
            `      - url: ${server.url}/api/v1/alerts/alertmanager`,
            "        send_resolved: true",
            "        http_config:",
            "          authorization:",
            `            credentials: ${TOKEN}`,
            ""
          ].join("\n")
        )
        const proc = yield* runProcess(alertmanager ?? "alertmanager", [
          `--config.file=${config}`,
          `--storage.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--cluster.listen-address="
        ])
        const alert = [
          {
            labels: {
              alertname: "KubePodCrashLooping",
              namespace: "shop",
              pod: "cart-7d9f8c6b5-x2x9q",
              severity: "critical"
            },
            annotations: { summary: "Pod shop/cart is crash looping" },
            startsAt: new Date().toISOString()
          }
        ]
        const amUrl = `http://127.0.0.1:${port}`
        yield* eventually(
          Effect.flatMap(postJson(`${amUrl}/api/v2/alerts`, alert).pipe(Effect.catchAllDefect(Effect.fail)), (res) =>
            res.status === 200 ? Effect.void : Effect.fail(`alertmanager answered ${res.status}`)
          ),
          20_000
        ).pipe(Effect.catchAll((why) => Effect.fail(new Error(`${why}\nalertmanager output:\n${proc.output()}`))))
        yield* postJson(`${amUrl}/api/v2/alerts`, alert)
        const alertIncidents = Effect.map(request(`${server.url}/api/v1/incidents?limit=100`), (res) =>
          (res.body as { items: Array<{ id: string; source: string; description: string }> }).items.filter(
            (i) => i.source === "alertmanager"
          )
        )
        const first = yield* eventually(
          Effect.flatMap(alertIncidents, (items) =>
            items.length > 0 ? Effect.succeed(items) : Effect.fail("none yet")
          ),
          20_000
        ).pipe(Effect.catchAll((why) => Effect.fail(new Error(`${why}\nalertmanager output:\n${proc.output()}`))))
        // give Alertmanager time for any further (group_interval) deliveries
        yield* Effect.sleep("3 seconds")
        const after = yield* alertIncidents
        expect(after).toHaveLength(1)
        expect(after[0]?.id).toBe(first[0]?.id)
        expect(after[0]?.description).toContain("KubePodCrashLooping")
        expect(after[0]?.description).toContain("namespace shop")
      }),
    60_000
  )
})

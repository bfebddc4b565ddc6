/**
 * Turns Alertmanager notifications into incidents. A firing group creates one incident (source `alertmanager`);
 * a repeat of the same group (same `groupKey`) while its incident is open, or less than `ALERT_DEDUP_WINDOW` after
 * it ended, returns that incident instead. A resolved notification is recorded on the group's incident (a step and
 * an evidence entry); it does not end the dedup window, so a flapping alert stays on one incident.
 *
 * Concurrency: notifications are taken one at a time in this process (a semaphore), and the store creates the
 * incident and the group link in one transaction keyed by the group (`createForAlertGroup`), so concurrent
 * deliveries of one group can never create two incidents.
 */
import { type ServiceUnavailable } from "@sre/schema"
import { Config, Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import { randomUUID } from "node:crypto"
import { IncidentEvents } from "../investigation/IncidentEvents.js"
import { InvestigationRunner } from "../investigation/InvestigationRunner.js"
import { recordAlertNotification, recordIncidentCreated } from "../observability/metrics.js"
import { registerSecret } from "../observability/redact.js"
import { IncidentRepository, isReusable, nowIso } from "../store/IncidentRepository.js"
import {
  alertDescription,
  alertEntities,
  type AlertmanagerWebhook,
  fingerprintsOf,
  notificationEvidence
} from "./AlertmanagerPayload.js"

/** Settings of the Alertmanager receiver. */
export interface AlertsConfigShape {
  /** `ALERTMANAGER_WEBHOOK_TOKEN`: bearer token Alertmanager sends (`http_config.authorization`). */
  readonly webhookToken: Option.Option<Redacted.Redacted<string>>
  /** `ALERT_DEDUP_WINDOW`: how long after its incident ended a group still maps to it (default 1h). */
  readonly dedupWindow: Duration.Duration
}

/** The receiver's settings. */
export class AlertsConfig extends Context.Tag("sre/AlertsConfig")<AlertsConfig, AlertsConfigShape>() {}

/** Reads `ALERTMANAGER_WEBHOOK_TOKEN` and `ALERT_DEDUP_WINDOW`. */
export const alertsConfig: Config.Config<AlertsConfigShape> = Config.all({
  webhookToken: Config.option(
    Config.redacted("ALERTMANAGER_WEBHOOK_TOKEN").pipe(
      Config.validate({
        message: "must be 16-512 printable characters without spaces",
        validation: (token) => /^[\x21-\x7e]{16,512}$/.test(Redacted.value(token))
      })
    )
  ),
  dedupWindow: Config.duration("ALERT_DEDUP_WINDOW").pipe(Config.withDefault(Duration.hours(1)))
})

/** The live settings (the token is registered with the log scrubber). */
export const AlertsConfigLive = Layer.effect(
  AlertsConfig,
  Effect.tap(alertsConfig, (c) =>
    Effect.sync(() => Option.map(c.webhookToken, (token) => registerSecret(Redacted.value(token))))
  )
)

/** Settings for tests. */
export const alertsConfigTest = (overrides: Partial<AlertsConfigShape> = {}): Layer.Layer<AlertsConfig> =>
  Layer.succeed(AlertsConfig, { webhookToken: Option.none(), dedupWindow: Duration.hours(1), ...overrides })

/** What happened to a notification. */
export interface ReceiveResult {
  /** The group's incident; none for a resolved notification of an unknown group. */
  readonly incidentId: Option.Option<string>
  /** A firing notification that mapped to an existing incident. */
  readonly deduplicated: boolean
  readonly outcome: "created" | "deduplicated" | "resolved" | "resolved_unknown"
}

/** The receiver service. */
export interface AlertReceiverShape {
  /** Handles one notification; fails with `ServiceUnavailable` when a new incident cannot be queued. */
  readonly receive: (
    payload: AlertmanagerWebhook,
    correlationId: string
  ) => Effect.Effect<ReceiveResult, ServiceUnavailable>
}

/** The Alertmanager receiver. */
export class AlertReceiver extends Context.Tag("sre/AlertReceiver")<AlertReceiver, AlertReceiverShape>() {}

const make = Effect.gen(function* () {
  const config = yield* AlertsConfig
  const repo = yield* IncidentRepository
  const runner = yield* InvestigationRunner
  const events = yield* IncidentEvents
  const intake = yield* Effect.makeSemaphore(1)

  const note = (incidentId: string, reasoning: string) =>
    repo.appendStep(incidentId, { kind: "note", started_at: nowIso(), reasoning }).pipe(
      Effect.tap((step) => events.publish({ type: "step", incidentId, step })),
      Effect.asVoid,
      Effect.catchTag("IncidentNotFound", () => Effect.void)
    )

  const deduplicated = (payload: AlertmanagerWebhook, incidentId: string, at: string): Effect.Effect<ReceiveResult> =>
    Effect.gen(function* () {
      const fresh = yield* repo.touchAlertGroup(payload.groupKey, fingerprintsOf(payload), at)
      if (fresh.length > 0) {
        yield* note(incidentId, `Alertmanager: ${fresh.length} more alert(s) joined the firing group at ${at}.`)
      }
      yield* Effect.logInfo("alert group deduplicated").pipe(Effect.annotateLogs({ incident_id: incidentId }))
      yield* recordAlertNotification("firing", "deduplicated")
      return { incidentId: Option.some(incidentId), deduplicated: true, outcome: "deduplicated" } as const
    })

  const firing = (
    payload: AlertmanagerWebhook,
    correlationId: string
  ): Effect.Effect<ReceiveResult, ServiceUnavailable> =>
    Effect.gen(function* () {
      const at = nowIso()
      const reuseEndedAfter = new Date(Date.now() - Duration.toMillis(config.dedupWindow)).toISOString()
      const existing = yield* repo.findAlertGroup(payload.groupKey)
      if (Option.isSome(existing) && isReusable(existing.value, reuseEndedAfter)) {
        return yield* deduplicated(payload, existing.value.incidentId, at)
      }
      const id = randomUUID()
      const created = yield* runner
        .file(
          repo.createForAlertGroup(
            {
              id,
              description: alertDescription(payload),
              source: "alertmanager",
              correlationId,
              createdAt: at,
              entities: alertEntities(payload)
            },
            { groupKey: payload.groupKey, fingerprints: fingerprintsOf(payload), reuseEndedAfter }
          ),
          correlationId
        )
        .pipe(Effect.either)
      if (created._tag === "Left") {
        const e = created.left
        return e._tag === "AlertGroupTaken" ? yield* deduplicated(payload, e.incidentId, at) : yield* Effect.fail(e)
      }
      yield* repo
        .putEvidence(id, "alertmanager:notification", notificationEvidence(payload, at))
        .pipe(Effect.catchTag("IncidentNotFound", () => Effect.void))
      yield* recordIncidentCreated("alertmanager")
      yield* recordAlertNotification("firing", "created")
      yield* Effect.logInfo("incident created").pipe(
        Effect.annotateLogs({ incident_id: id, source: "alertmanager", alerts: payload.alerts.length })
      )
      return { incidentId: Option.some(id), deduplicated: false, outcome: "created" } as const
    })

  const resolved = (payload: AlertmanagerWebhook): Effect.Effect<ReceiveResult> =>
    Effect.gen(function* () {
      const at = nowIso()
      const link = yield* repo.findAlertGroup(payload.groupKey)
      if (Option.isNone(link)) {
        yield* recordAlertNotification("resolved", "unknown_group")
        yield* Effect.logInfo("resolved notification for an unknown alert group ignored")
        return { incidentId: Option.none(), deduplicated: false, outcome: "resolved_unknown" } as const
      }
      const incidentId = link.value.incidentId
      const endsAt = payload.alerts
        .map((a) => a.endsAt)
        .filter((e): e is string => e !== undefined && !e.startsWith("0001-"))
        .sort()
        .at(-1)
      yield* repo.resolveAlertGroup(payload.groupKey, at)
      yield* repo
        .putEvidence(incidentId, "alertmanager:resolved", notificationEvidence(payload, at))
        .pipe(Effect.catchTag("IncidentNotFound", () => Effect.void))
      yield* note(
        incidentId,
        `Alertmanager reported the alert group resolved at ${endsAt ?? at} (${payload.alerts.length} alert(s)).`
      )
      yield* recordAlertNotification("resolved", "recorded")
      yield* Effect.logInfo("alert group resolved").pipe(Effect.annotateLogs({ incident_id: incidentId }))
      return { incidentId: Option.some(incidentId), deduplicated: false, outcome: "resolved" } as const
    })

  const receiver: AlertReceiverShape = {
    receive: (payload, correlationId) =>
      intake
        .withPermits(1)(payload.status === "firing" ? firing(payload, correlationId) : resolved(payload))
        .pipe(
          Effect.withSpan("AlertReceiver.receive", {
            attributes: { correlation_id: correlationId, alert_status: payload.status, alerts: payload.alerts.length }
          })
        )
  }
  return receiver
})

/** The receiver layer. */
export const layerAlertReceiver: Layer.Layer<
  AlertReceiver,
  never,
  AlertsConfig | IncidentRepository | InvestigationRunner | IncidentEvents
> = Layer.effect(AlertReceiver, make)

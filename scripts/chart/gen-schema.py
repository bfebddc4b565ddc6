#!/usr/bin/env python3
"""Generates charts/sre-orchestrator/values.schema.json (run after changing values.yaml; validate.sh checks that
the committed file is up to date). Written as Python so the schema can share small building blocks."""
import json
import os
import sys

S = lambda **kw: {"type": "string", **kw}
B = {"type": "boolean"}
def I(minimum=None, maximum=None, **kw):
    d = {"type": "integer", **kw}
    if minimum is not None: d["minimum"] = minimum
    if maximum is not None: d["maximum"] = maximum
    return d
def obj(props, required=None, extra=False, **kw):
    d = {"type": "object", "properties": props, "additionalProperties": extra, **kw}
    if required: d["required"] = required
    return d
MAP = {"type": "object"}
STRMAP = {"type": "object", "additionalProperties": {"type": "string"}}
LIST = {"type": "array"}
OBJLIST = {"type": "array", "items": {"type": "object"}}
NAME = S(pattern=r"^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", maxLength=253)
DNS_LABEL = S(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength=63)
# An integer, or an empty string meaning "use the default".
OPT_INT = lambda minimum=0: {"oneOf": [I(minimum), S(maxLength=0)]}
INT_OR_PCT = {"oneOf": [I(0), S(pattern=r"^[0-9]+%$"), S(maxLength=0)]}
# Effect Duration strings as the server's Config.duration parses them: "20 seconds", "5 minutes", "500 millis".
# A number, one space, a unit word: "20s" or "5m" would make the server refuse to start.
DURATION = S(pattern=r"^$|^[0-9]+(\.[0-9]+)?\s(nanos?|micros?|millis?|seconds?|minutes?|hours?|days?|weeks?)$")
QUANTITY = {"oneOf": [S(pattern=r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$"), {"type": "number", "minimum": 0}]}
RESOURCES = obj({
    "requests": obj({"cpu": QUANTITY, "memory": QUANTITY, "ephemeral-storage": QUANTITY}),
    "limits": obj({"cpu": QUANTITY, "memory": QUANTITY, "ephemeral-storage": QUANTITY}),
})
def PROBE(startup=False):
    p = {
        "enabled": B,
        "periodSeconds": I(1),
        "timeoutSeconds": I(1),
        "failureThreshold": I(1),
    }
    if not startup: p["initialDelaySeconds"] = I(0)
    return obj(p, required=["enabled"])
# Inline value a or existing Secret b, not both: with a set, b must be empty (the error then names b).
SECRET_PAIR = lambda a, b: {
    "if": {"required": [a], "properties": {a: {"minLength": 1}}},
    "then": {"properties": {b: {"maxLength": 0, "description": f"must be empty when {a} is set"}}},
}
# Name of a key inside a Secret (a file name: letters, digits, -, _ and .).
SECRET_KEY = S(pattern=r"^[-._a-zA-Z0-9]+$", maxLength=253)

schema = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Values of the sre-orchestrator chart",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "global": MAP,
        "nameOverride": S(maxLength=63),
        "fullnameOverride": S(maxLength=63),
        "replicaCount": I(0, description="Pods; > 1 needs database.existingSecret or database.url (SQLite is single-writer)"),
        "image": obj({
            "repository": S(minLength=1),
            "tag": {"type": ["string", "number"]},
            "digest": S(pattern=r"^$|^sha256:[a-f0-9]{64}$"),
            "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
        }, required=["repository", "pullPolicy"]),
        "imagePullSecrets": {"type": "array", "items": obj({"name": S(minLength=1)}, required=["name"])},
        "strategy": obj({
            "type": {"enum": ["", "Recreate", "RollingUpdate"]},
            "rollingUpdate": obj({"maxSurge": INT_OR_PCT, "maxUnavailable": INT_OR_PCT}),
        }),
        "terminationGracePeriodSeconds": I(0),
        "podLabels": STRMAP,
        "podAnnotations": STRMAP,
        "commonLabels": STRMAP,
        "serviceAccount": obj({
            "create": B, "name": NAME, "annotations": STRMAP, "automountServiceAccountToken": B,
        }, required=["create"]),
        "rbac": obj({
            "create": B,
            "namespaces": {"type": "array", "items": DNS_LABEL, "uniqueItems": True},
            "allowSecrets": B,
            "clusterScopedReadInNamespacedMode": B,
            "extraRules": {"type": "array", "items": obj({
                "apiGroups": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "resources": {"type": "array", "items": {"type": "string", "not": {"enum": ["*", "secrets"]}}, "minItems": 1},
                "resourceNames": {"type": "array", "items": {"type": "string"}},
                "verbs": {"type": "array", "items": {"enum": ["get", "list", "watch"]}},
            }, required=["apiGroups", "resources"])},
        }, required=["create"]),
        "server": obj({
            "port": I(1, 65535),
            "logLevel": {"enum": ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"]},
            "logFormat": {"enum": ["json", "pretty"]},
            "corsOrigins": {"type": "array", "items": S(pattern=r"^(\*|https?://[^\s/]+)$")},
            "maxConcurrentInvestigations": I(1),
            "maxQueuedInvestigations": I(1),
            "shutdownGracePeriod": DURATION,
        }, required=["port"]),
        "agent": obj({"maxSteps": OPT_INT(1), "timeBudget": DURATION}),
        "llm": obj({
            "baseUrl": S(pattern=r"^$|^https?://\S+$"),
            "model": S(),
            "timeout": DURATION,
            "maxRetries": OPT_INT(0),
            "apiKey": S(),
            "existingSecret": NAME,
            "existingSecretKey": SECRET_KEY,
        }, **SECRET_PAIR("apiKey", "existingSecret")),
        "apiKeys": obj({
            # Same rule as the server (AppConfig isAcceptableApiKey): 16-512 printable characters, no spaces or commas.
            "keys": {"type": "array", "items": S(pattern=r"^[\x21-\x2b\x2d-\x7e]{16,512}$"), "uniqueItems": True},
            "existingSecret": NAME,
            "existingSecretKey": SECRET_KEY,
        }),
        # PostgreSQL: existingSecret (+ secretKey) in production, url for quick trials; not both. The rules that
        # span several sections (replicas > 1 needs a database, a database excludes persistence) are `fail`s in
        # _helpers.tpl, whose messages explain what to do (a schema error could only say "does not match").
        "database": obj({
            "existingSecret": NAME,
            "secretKey": SECRET_KEY,
            "url": S(pattern=r"^$|^postgres(ql)?://\S+$",
                     description="postgres:// or postgresql:// URL; for quick trials only (prefer existingSecret)"),
        }, **SECRET_PAIR("url", "existingSecret")),
        "investigations": obj({
            # The server accepts INVESTIGATION_TIMEOUT between 10 seconds and 12 hours (AppConfig).
            "leaseSeconds": {"oneOf": [I(10, 43200), S(maxLength=0)],
                             "description": "INVESTIGATION_TIMEOUT in seconds; empty: server default (15 minutes)"},
            "maxAttempts": OPT_INT(1),
        }),
        "persistence": obj({
            "enabled": B,
            "existingClaim": NAME,
            "storageClass": S(),
            "accessModes": {"type": "array", "minItems": 1, "items": {"enum": ["ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany"]}},
            "size": S(pattern=r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"),
            "annotations": STRMAP,
            "mountPath": S(pattern=r"^/[^:]*$"),
            "emptyDirSizeLimit": S(pattern=r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$"),
        }, required=["enabled"]),
        "mcpConfig": {"type": ["object", "string"], "description": "mcp_config.yaml as a map or a YAML string",
                      "if": {"type": "object"}, "then": {"properties": {
                          "servers": {"type": ["object", "null"], "additionalProperties": {"type": ["object", "null"], "properties": {
                              "transport": {"enum": ["stdio", "streamable_http"]}, "enabled": B,
                              "args": {"type": "array", "items": {"type": "string"}},
                              "env": STRMAP, "headers": STRMAP,
                              "allow": {"type": "array", "items": {"type": "string"}},
                              "deny": {"type": "array", "items": {"type": "string"}},
                          }}},
                          "tool_output_budget": I(1)}}},
        "existingMcpConfigMap": NAME,
        "knowledgeGraph": {"type": ["object", "string"], "description": "knowledge_graph.yaml as a YAML string or a map"},
        "existingKnowledgeGraphConfigMap": NAME,
        "extraEnv": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {"name": S(minLength=1)}}},
        "extraEnvFrom": OBJLIST,
        "extraVolumes": OBJLIST,
        "extraVolumeMounts": OBJLIST,
        "service": obj({
            "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
            "port": I(1, 65535),
            "nodePort": {"oneOf": [I(30000, 32767), S(maxLength=0)]},
            "annotations": STRMAP,
        }, required=["type", "port"]),
        "ingress": obj({
            "enabled": B,
            "className": S(),
            "annotations": STRMAP,
            "hosts": {"type": "array", "items": obj({
                "host": S(minLength=1),
                "paths": {"type": "array", "minItems": 1, "items": obj({
                    "path": S(pattern=r"^/"),
                    "pathType": {"enum": ["Prefix", "Exact", "ImplementationSpecific"]},
                }, required=["path"])},
            }, required=["host", "paths"])},
            "tls": {"type": "array", "items": obj({
                "secretName": S(minLength=1), "hosts": {"type": "array", "items": S(minLength=1)},
            }, required=["secretName"])},
        }, required=["enabled"], **{"if": {"properties": {"enabled": {"const": True}}},
                                    "then": {"required": ["hosts"], "properties": {"hosts": {"type": "array", "minItems": 1}}}}),
        "probes": obj({"liveness": PROBE(), "readiness": PROBE(), "startup": PROBE(startup=True)}),
        "resources": RESOURCES,
        "podSecurityContext": MAP,
        "securityContext": MAP,
        "tmpSizeLimit": S(pattern=r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$"),
        "nodeSelector": STRMAP,
        "tolerations": OBJLIST,
        "affinity": MAP,
        "podAntiAffinityPreset": {"enum": ["soft", "hard", "none"]},
        "podAntiAffinityTopologyKey": S(minLength=1),
        "topologySpreadConstraints": {"type": "array", "items": {
            "type": "object", "required": ["maxSkew", "topologyKey", "whenUnsatisfiable"],
            "properties": {"maxSkew": I(1), "topologyKey": S(minLength=1),
                           "whenUnsatisfiable": {"enum": ["DoNotSchedule", "ScheduleAnyway"]}}}},
        "priorityClassName": S(),
        "podDisruptionBudget": obj({
            "enabled": B, "minAvailable": INT_OR_PCT, "maxUnavailable": INT_OR_PCT,
        }, required=["enabled"]),
        "autoscaling": obj({
            "enabled": B,
            "minReplicas": I(1),
            "maxReplicas": I(1),
            "targetCPUUtilizationPercentage": OPT_INT(1),
            "targetMemoryUtilizationPercentage": OPT_INT(1),
        }, required=["enabled"]),
        "networkPolicy": obj({
            "enabled": B,
            "ingressFrom": OBJLIST,
            "ingressNamespaceSelector": MAP,
            "restrictEgress": B,
            "egressTo": OBJLIST,
            "egressPorts": {"type": "array", "items": I(1, 65535)},
            "extraEgress": OBJLIST,
            "database": obj({
                "ports": {"type": "array", "items": I(1, 65535)},
                "to": OBJLIST,
            }),
        }, required=["enabled"]),
        "metrics": obj({
            "podAnnotations": B,
            "path": S(pattern=r"^/"),
            "serviceMonitor": obj({
                "enabled": B,
                "interval": S(pattern=r"^[0-9]+(ms|s|m|h)$"),
                "scrapeTimeout": S(pattern=r"^[0-9]+(ms|s|m|h)$"),
                "labels": STRMAP,
            }, required=["enabled"]),
        }),
    },
    "required": ["replicaCount", "image", "server", "service", "persistence", "rbac", "serviceAccount"],
}

# Security baseline that values cannot switch off: the pod must run as non-root with a read-only root filesystem.
schema["properties"]["securityContext"] = {
    "type": "object",
    "properties": {
        "runAsNonRoot": {"const": True},
        "readOnlyRootFilesystem": {"const": True},
        "allowPrivilegeEscalation": {"const": False},
        "privileged": {"const": False},
        "runAsUser": I(1),
    },
    "required": ["runAsNonRoot", "readOnlyRootFilesystem", "allowPrivilegeEscalation"],
}
schema["properties"]["podSecurityContext"] = {
    "type": "object",
    "properties": {"runAsNonRoot": {"const": True}, "runAsUser": I(1)},
    "required": ["runAsNonRoot"],
}

root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
out = os.path.join(root, "charts", "sre-orchestrator", "values.schema.json")
text = json.dumps(schema, indent=2) + "\n"
# Format as the repository's prettier does (when installed), so `npm run format` leaves the file unchanged.
prettier = os.path.join(root, "node_modules", ".bin", "prettier")
if os.path.exists(prettier):
    import subprocess
    text = subprocess.run([prettier, "--stdin-filepath", out], input=text, capture_output=True, text=True, check=True, cwd=root).stdout
if len(sys.argv) > 1 and sys.argv[1] == "--check":
    current = open(out).read() if os.path.exists(out) else ""
    if current != text:
        print("values.schema.json is out of date: run scripts/chart/gen-schema.py", file=sys.stderr)
        sys.exit(1)
    print("values.schema.json is up to date")
else:
    open(out, "w").write(text)
    print(f"wrote {os.path.normpath(out)}")

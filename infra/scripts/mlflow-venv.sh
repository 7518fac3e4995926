#!/usr/bin/env bash
# Installs the pinned MLflow tracking server (PyPI mlflow) into a virtual environment under the data folder, once,
# and prints the path of its `mlflow` command. The outbox tests run it as the real MLflow server.
set -euo pipefail
MLFLOW_VERSION=3.17.2
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${LMFORGE_DATA_DIR:-$ROOT/data}/tools/mlflow-$MLFLOW_VERSION"
if [[ ! -x "$venv/bin/mlflow" ]]; then
  echo "installing MLflow (PyPI mlflow==$MLFLOW_VERSION) into $venv..." >&2
  rm -rf "$venv"
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check \
           "mlflow==$MLFLOW_VERSION"; } >&2; then
    echo "could not install mlflow with pip (see above)" >&2
    rm -rf "$venv"
    exit 1
  fi
fi
echo "$venv/bin/mlflow"

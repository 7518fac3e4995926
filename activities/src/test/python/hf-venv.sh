#!/usr/bin/env bash
# Prints the python of a virtual environment holding a pinned set of Python clients, creating it first if it is
# missing: hf-venv.sh [REQUIREMENTS MODULES]. By default the Hugging Face clients (hf-requirements.txt:
# transformers, tokenizers, and PyTorch on CPU) checked by HfExportCompatibilityTest; OpenAiApiTest names the
# openai client's requirements and module. Every package is pinned and installed with --no-deps, then MODULES
# (comma-separated) must import. PyPI's only Linux torch wheel is the CUDA build, whose import loads the CUDA
# libraries (cuBLAS, cuDNN, NCCL...) even on a machine without a GPU, so they are installed too (about 2 GB of
# downloads, 4.5 GB on disk); triton, which only torch.compile imports, is left out. Each environment is kept
# per requirements file and digest under LMFORGE_HF_VENV_ROOT (default ~/.cache/lmforge), so builds and clones on
# one machine share one install.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requirements="$(realpath "${1:-$here/hf-requirements.txt}")"
modules="${2:-torch, transformers, tokenizers}"
name="$(basename "$requirements" .txt)"
name="${name%-requirements}"
digest="$(sha256sum "$requirements" | cut -c1-12)"
root="${LMFORGE_HF_VENV_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/lmforge}"
venv="$root/$name-venv-$digest"
if [[ ! -f "$venv/.complete" ]]; then
  echo "$name-venv: installing the pinned clients of $requirements into $venv (once per machine)..." >&2
  rm -rf "$venv"
  mkdir -p "$root"
  started=$SECONDS
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$requirements" >&2
  "$venv/bin/python" -c "import $modules" >&2
  touch "$venv/.complete"
  echo "$name-venv: installed in $((SECONDS - started)) s" >&2
fi
echo "$venv/bin/python"

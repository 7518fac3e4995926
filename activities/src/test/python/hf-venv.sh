#!/usr/bin/env bash
# Prints the python of a virtual environment holding the pinned Hugging Face clients (hf-requirements.txt:
# transformers, tokenizers, and PyTorch on CPU), creating it first if it is missing. PyPI's only Linux torch wheel
# is the CUDA build, whose import loads the CUDA libraries (cuBLAS, cuDNN, NCCL...) even on a machine without a
# GPU, so they are installed too (about 2 GB of downloads, 4.5 GB on disk); triton, which only torch.compile
# imports, is left out. The environment is kept per requirements digest under LMFORGE_HF_VENV_ROOT (default
# ~/.cache/lmforge), so builds and clones on one machine share one install.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
requirements="$here/hf-requirements.txt"
digest="$(sha256sum "$requirements" | cut -c1-12)"
root="${LMFORGE_HF_VENV_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/lmforge}"
venv="$root/hf-venv-$digest"
if [[ ! -f "$venv/.complete" ]]; then
  echo "hf-venv: installing the pinned Hugging Face clients into $venv (once per machine)..." >&2
  rm -rf "$venv"
  mkdir -p "$root"
  started=$SECONDS
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$requirements" >&2
  "$venv/bin/python" -c "import torch, transformers, tokenizers" >&2
  touch "$venv/.complete"
  echo "hf-venv: installed in $((SECONDS - started)) s" >&2
fi
echo "$venv/bin/python"

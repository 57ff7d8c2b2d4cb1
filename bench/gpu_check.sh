#!/usr/bin/env bash
# Five-minute GPU check of the training path: a random-init SmolLM2-135M built from the shipped config, then
# CPT, LoRA SFT, QLoRA SFT and DPO through `telecomgpt train` with configs/finetune/smollm2-135m/gpu/*.yaml for a
# fixed number of steps; one line per stage: ok/failed, tokens/s, MFU, peak memory. No network needed.
#
#   bash bench/gpu_check.sh                 # on a CUDA machine (30 steps per stage; --compile adds CPT+compile)
#   bash bench/gpu_check.sh --dry-run       # the same commands on CPU: 2 steps, 2 layers (tests/bench runs it)
#
# On a machine without the project's install (e.g. the lent H200, which has torch/transformers/peft/accelerate
# but not trl, datasets, bitsandbytes, pydantic, orjson): fetch wheels where there is network with
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 -d whl \
#     trl==1.16.0 datasets==5.2.0 dill multiprocess bitsandbytes==0.50.2 pydantic pydantic-core orjson typer \
#     [liger-kernel]
# then there: pip install --no-index --no-deps --target /tmp/site whl/*.whl && export PYTHONPATH=/tmp/site
# (see ../shared/docs/environment.md, "The lent GPU machine"). PYTHON=... picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m bench.gpu_check "$@"

#!/usr/bin/env bash
# End to end on one CPU machine: pipeline output -> CPT -> SFT (QLoRA) -> DPO (QLoRA) -> merge -> eval,
# then the retriever (embedder + reranker) trained on pairs mined from the same specs, and an index of those
# specs with its own trained query encoder,
# for the embedded SmolLM2-135M-Instruct on the shared corpus. 22 minutes on 2 quiet cores of an AMD EPYC with
# AVX-512 BF16 (measured 2026-11-23; the recipes' `bf16: auto` picks bf16 there, as before). On an AVX2-only CPU
# `auto` trains and evaluates in float32 instead of emulated bf16: about 35 minutes (an estimate from the
# per-stage float32/bf16 ratios of bench/dtype_speed.py, not timed end to end), against ~2.5 hours with the old
# forced bf16 (issue 25). `telecomgpt env` shows which kind a machine is.
#
#   bash scripts/adapt_tiny.sh            # or: make adapt
#   SHARED=/path/to/shared RUN=runs/x CPT_STEPS=40 SFT_STEPS=30 DPO_STEPS=15 RETRIEVER_PAIRS=256 bash scripts/adapt_tiny.sh
#
# Shows: held-out spec perplexity before/after CPT (TS 38.300 is never trained on) and the evaluation
# scores of base / CPT / SFT / DPO side by side (telecomgpt eval compare). Re-running resumes each stage.
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED=${SHARED:-../shared}
RUN=${RUN:-runs/adapt_tiny}
CPT_STEPS=${CPT_STEPS:-40}
SFT_STEPS=${SFT_STEPS:-30}
DPO_STEPS=${DPO_STEPS:-15}
EVAL_LIMIT=${EVAL_LIMIT:-40}
RETRIEVER_PAIRS=${RETRIEVER_PAIRS:-256}
QUERY_ENCODER_STEPS=${QUERY_ENCODER_STEPS:-100}
EVAL_TASKS=${EVAL_TASKS:-teleqna,oran_bench,telecom_code,telecom_math_modeling}
TG=${TG:-.venv/bin/telecomgpt}
RECIPES=configs/finetune/smollm2-135m
CORPUS=$SHARED/data/corpus
SPECS=$CORPUS/3gpp/rel19-md
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false VLLM_CPU_KVCACHE_SPACE=1
[ -d "$CORPUS" ] || { echo "error: shared corpus not found at $CORPUS (set SHARED=...)" >&2; exit 2; }
mkdir -p "$RUN"
step() { printf '\n=== %s  [%s]\n' "$1" "$(date +%H:%M:%S)"; }
START=$(date +%s)

step "1/11 data pipeline: clean, dedup, decontaminate (training corpus + one held-out spec)"
$TG data run --input "$SPECS/38.211_PHY-Channels_j30.md" --input "$SPECS/38.321_MAC_j20.md" \
  --input "$SPECS/37.340_Multi_Connectivity_j20.md" --input "$CORPUS/code/free5gc-nas" --output "$RUN/corpus"
$TG data run --input "$SPECS/38.300_NG-RAN_Overall_j20.md" --output "$RUN/heldout"

step "2/11 continual pretraining (all parameters, lr 2e-5 constant, packed)"
$TG train cpt --config $RECIPES/cpt.yaml --dataset_path "$RUN/corpus" --output_dir "$RUN/cpt" \
  --eval_path "$RUN/heldout" --max_eval_samples 24 --max_steps "$CPT_STEPS" --max_length 256

step "3/11 instruction data (abbreviations, definitions, code, equations; dedup + decontamination)"
$TG data build-sft --output "$RUN/sft-data" --specs "$SPECS" --code "$CORPUS/code" \
  --text "$CORPUS/3gpp/tr-library" --max-per-builder 150

step "4/11 QLoRA SFT on the CPT model, then merge"
$TG train sft --config $RECIPES/sft.yaml --model_name_or_path "$RUN/cpt" --dataset_path "$RUN/sft-data" \
  --output_dir "$RUN/sft" --max_steps "$SFT_STEPS" --max_length 256 --per_device_train_batch_size 4
$TG train merge --base "$RUN/cpt" --adapter "$RUN/sft" --output "$RUN/sft-merged"

step "5/11 preference pairs: the SFT model's own wrong answers (vLLM) + corrupted references"
$TG data build-dpo --sft "$RUN/sft-data" --model "$RUN/sft-merged" --output "$RUN/dpo-data" --max-prompts 96

step "6/11 QLoRA DPO on the SFT model, then merge"
$TG train dpo --config $RECIPES/dpo.yaml --model_name_or_path "$RUN/sft-merged" --dataset_path "$RUN/dpo-data" \
  --output_dir "$RUN/dpo" --max_steps "$DPO_STEPS" --max_length 256 --per_device_train_batch_size 2
$TG train merge --base "$RUN/sft-merged" --adapter "$RUN/dpo" --output "$RUN/dpo-merged"

step "7/11 held-out spec perplexity (TS 38.300, never trained on)"
for model in base cpt; do
  path=$([ $model = base ] && echo smollm2-135m-instruct || echo "$RUN/cpt")
  printf '%-5s ' $model; $TG train perplexity --model "$path" --data "$RUN/heldout" --max-docs 24 --max-length 256
done | tee "$RUN/perplexity.txt"

step "8/11 evaluation: base / CPT / SFT / DPO side by side"
for model in base cpt sft dpo; do
  case $model in base) path=smollm2-135m-instruct ;; cpt) path="$RUN/cpt" ;; *) path="$RUN/$model-merged" ;; esac
  [ -f "$RUN/eval/$model/results.json" ] || \
    $TG eval run --model "$path" --tasks "$EVAL_TASKS" --limit "$EVAL_LIMIT" --output "$RUN/eval/$model"
done
$TG eval compare "$RUN/eval/base" "$RUN/eval/cpt" "$RUN/eval/sft" "$RUN/eval/dpo" --plot "$RUN/compare.png" \
  | tee "$RUN/compare.txt"

step "9/11 retriever: fine-tuned MiniLM embedder + cross-encoder reranker on pairs mined from the specs"
[ -f "$RUN/retriever/retriever_summary.json" ] || \
  $TG train retriever --corpus "$SPECS" --output "$RUN/retriever" --max-pairs "$RETRIEVER_PAIRS"
echo "use it: $TG index build --embedder $RUN/retriever/embedder ... ; serve/chat/eval run --reranker $RUN/retriever/reranker"

step "10/11 index of the specs, and a query encoder trained for it (queries mined from the index, chunk vectors kept)"
$TG index build --input "$SPECS" --output "$RUN/index" --quiet
[ -d "$RUN/index/query_encoder" ] || \
  $TG train query-encoder --index "$RUN/index" --steps "$QUERY_ENCODER_STEPS" --quiet
echo "use it: $TG chat --index $RUN/index ... (the index's query encoder is used by every command)"

step "11/11 answer-sentence reader (cross-encoder on sentences mined from the specs) and role checker"
[ -f "$RUN/reader/reader_summary.json" ] || \
  $TG train reader --config configs/finetune/minilm/reader.yaml --corpus "$SPECS" \
    --corpus "$CORPUS/3gpp/21905-h20.docx" --output "$RUN/reader"
# not installed into the user's cache (where serve/chat/eval would use it) until it measures better than
# today's order: bench/reader.py, docs/benchmarks.md
echo "measure it: .venv/bin/python -m bench.reader --reader $RUN/reader --spec ...; install: cp -r $RUN/reader ~/.cache/telecomgpt/reader"
# the role checker of grounded answers (app/role_check.py): trees over claim/evidence alignment features, ~30 s;
# TS 38.211 and TS 38.401 held out and measured, as in the copy shipped in app/role_model
[ -f "$RUN/role_check/role_check_summary.json" ] || \
  $TG train role-check --config configs/finetune/role_check.yaml --corpus "$SPECS" --holdout 38.211 \
    --holdout 38.401 --output "$RUN/role_check"
echo "install it: cp -r $RUN/role_check ~/.cache/telecomgpt/role_check (else the shipped app/role_model is used)"
echo "done in $(( ($(date +%s) - START) / 60 )) min; loss curves: $RUN/*/loss_curve.png; comparison: $RUN/compare.png"

#!/usr/bin/env bash
# Train the embedded model to read retrieved clauses (issue 23), on one CPU machine, and leave one LoRA adapter that
# `telecomgpt serve --adapter` loads on the plain base:
#   index of the specs -> build-sft --rag (mined questions in the assistant's own prompt: the answering clause among
#   retrieved distractors, or left out) -> LoRA SFT -> merge -> build-dpo --rag (the base model's own answers that
#   the assistant's checker rejects) -> LoRA DPO on the SFT-merged model -> both adapters summed into one
#   (RUN/adapter: adapter_config.json, adapter_model.safetensors, manifest.json).
#
#   bash scripts/adapt_rag.sh
#   SHARED=/path/to/shared RUN=runs/x SFT_STEPS=20 DPO_STEPS=5 SFT_ITEMS=200 DPO_PROMPTS=40 bash scripts/adapt_rag.sh
#   RECIPES=configs/finetune/smollm2-135m/gpu SFT_STEPS= DPO_STEPS= bash scripts/adapt_rag.sh   # one GPU, epochs
#
# Sizing (2 CPU cores, quiet): SFT_STEPS x 8 examples (~33 s a step on an AMD EPYC, ~57 s on an Intel Xeon) and DPO_STEPS x 4 pairs (~30 s a step), as
# measured for configs/finetune/smollm2-135m/{sft,dpo}_rag.yaml (a few steps each; a loaded machine is 2-8x slower),
# ~65 min of training; the data builds come on top (index ~4 min, build-sft ~3 min, vLLM answering 300 prompts ~5 min). Re-running resumes: the index skips unchanged files, the builders
# resume from their journals, training from its last checkpoint; finished stages are skipped.
# TRAIN_SPECS: the specs questions are mined from and retrieved in (default: the assistant's corpus, the seven
# Release-19 markdown specs + TR 21.905). The questions are mined, never taken from a benchmark; HOLD_OUT (default
# bench/answer_questions.yaml, the project's answer benchmark about the same specs) names the clauses no question
# is mined from, so that benchmark measures reading, not recall of trained facts.
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED=${SHARED:-../shared}
RUN=${RUN:-runs/adapt_rag}
BASE=${BASE:-smollm2-135m-instruct}
SFT_ITEMS=${SFT_ITEMS:-1500}
SFT_PER_KIND=${SFT_PER_KIND:-150}  # the specs' ~2,000 glossary lines would otherwise set the answers' shape
DPO_PROMPTS=${DPO_PROMPTS:-300}
SFT_STEPS=${SFT_STEPS-100}  # empty: the recipe's epochs (the GPU recipes)
DPO_STEPS=${DPO_STEPS-20}
HOLD_OUT=${HOLD_OUT:-bench/answer_questions.yaml}
TG=${TG:-.venv/bin/telecomgpt}
RECIPES=${RECIPES:-configs/finetune/smollm2-135m}  # .../smollm2-135m/gpu: the GPU recipes (whole data, epochs)
CORPUS=$SHARED/data/corpus
TRAIN_SPECS=${TRAIN_SPECS:-"$CORPUS/3gpp/rel19-md $CORPUS/3gpp/21905-h20.docx"}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false VLLM_CPU_KVCACHE_SPACE=1
have_data() { [ -f "$RUN/sft-data/stats.json" ] && [ -f "$RUN/dpo-data/stats.json" ]; }
have_data || [ -d "$CORPUS" ] || { echo "error: shared corpus not found at $CORPUS (set SHARED=...)" >&2; exit 2; }
mkdir -p "$RUN"
step() { printf '\n=== %s  [%s]\n' "$1" "$(date +%H:%M:%S)"; echo "$(date +%s) $1" >> "$RUN/timings.txt"; }
START=$(date +%s)
inputs=()
for spec in $TRAIN_SPECS; do inputs+=(--input "$spec"); done

step "1/6 index of the training specs (the assistant's retrieval reads it)"
# only the data builds read it: a machine given the built data (a GPU box) needs neither the index nor the embedder
have_data || $TG index build "${inputs[@]}" --output "$RUN/index" --quiet

step "2/6 reading data: mined questions in the serving prompt (build-sft --rag)"
[ -f "$RUN/sft-data/stats.json" ] || \
  $TG data build-sft --rag --index "$RUN/index" --output "$RUN/sft-data" --max-per-builder "$SFT_ITEMS" \
    --max-per-kind "$SFT_PER_KIND" --hold-out "$HOLD_OUT"

step "3/6 LoRA SFT on the base, then merge (the DPO policy)"
[ -f "$RUN/sft/run_summary.json" ] || \
  $TG train sft --config $RECIPES/sft_rag.yaml --model_name_or_path "$BASE" --dataset_path "$RUN/sft-data" \
    --output_dir "$RUN/sft" ${SFT_STEPS:+--max_steps "$SFT_STEPS"}
[ -f "$RUN/sft-merged/config.json" ] || \
  $TG train merge --base "$BASE" --adapter "$RUN/sft" --output "$RUN/sft-merged"

step "4/6 preference pairs: the base model's own answers that the checker rejects (build-dpo --rag)"
[ -f "$RUN/dpo-data/stats.json" ] || \
  $TG data build-dpo --rag --sft "$RUN/sft-data" --model "$BASE" --output "$RUN/dpo-data" \
    --max-prompts "$DPO_PROMPTS"

step "5/6 LoRA DPO on the SFT-merged model"
[ -f "$RUN/dpo/run_summary.json" ] || \
  $TG train dpo --config $RECIPES/dpo_rag.yaml --model_name_or_path "$RUN/sft-merged" \
    --dataset_path "$RUN/dpo-data" --output_dir "$RUN/dpo" ${DPO_STEPS:+--max_steps "$DPO_STEPS"}

step "6/6 one adapter for the base (SFT + DPO summed) with its manifest"
$TG train stack-adapters --base "$BASE" --adapter "$RUN/sft" --adapter "$RUN/dpo" --output "$RUN/adapter" \
  --recipe $RECIPES/sft_rag.yaml --recipe $RECIPES/dpo_rag.yaml --data "$RUN/sft-data" --data "$RUN/dpo-data"
echo "$(date +%s) done" >> "$RUN/timings.txt"
echo "done in $(( ($(date +%s) - START) / 60 )) min; loss curves: $RUN/{sft,dpo}/loss_curve.png"
echo "serve it: $TG serve --adapter reader=$RUN/adapter   (vLLM LoRA on the plain base)"

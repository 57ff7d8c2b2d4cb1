# The README's two commands: `make demo` (the assistant) and `make test` (the suite). Both set up first.
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo chat test lint adapt adapt-rag clean

setup:
	@bash scripts/setup.sh

STARTER_INDEX ?= $(HOME)/.cache/telecomgpt/indexes/starter

# The main job: index the starter knowledge base (cached) and serve the assistant on the embedded model.
demo: setup
	$(BIN)/telecomgpt models prepare
	$(BIN)/telecomgpt index build --input app/knowledge --output $(STARTER_INDEX) --quiet
	$(BIN)/telecomgpt serve --index $(STARTER_INDEX)

chat: setup
	$(BIN)/telecomgpt chat

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: setup
	@bash scripts/setup_test_tools.sh
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -ra --durations=25 $(PYTEST_ARGS)

# CPT -> SFT -> DPO -> merge -> eval on the embedded model and the shared corpus (docs/finetune.md).
adapt: setup
	bash scripts/adapt_tiny.sh

# Reading adapter for the assistant (issue 23): build-sft/build-dpo --rag -> LoRA SFT -> DPO -> one adapter with
# its manifest (docs/finetune.md). To become `adapt` once it measures better than the base model.
adapt-rag: setup
	bash scripts/adapt_rag.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache tests/artifacts

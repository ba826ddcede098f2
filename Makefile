# Quickstart: `make run` (train the default model on real MNIST), `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# Tool caches stay inside the project's ignored folders.
export TORCHINDUCTOR_CACHE_DIR := $(CURDIR)/.cache/inductor
export GRADIO_TEMP_DIR := $(CURDIR)/.cache/gradio
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib

.PHONY: setup run test serve bench clean

setup: $(STAMP)

# Re-installs only when the package metadata or the pins change.
$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements/constraints.txt -e '.[serve,tune,onnx,tensorboard,dev]'
	touch $(STAMP)

run: setup
	$(BIN)/mnistgan run

# Installs the system packages the tests use (apt-get, only what is missing); what cannot be
# installed is named on one line each and the tests that need it skip.
test: setup
	bash scripts/install-system-deps.sh
	$(BIN)/python -m pytest

serve: setup
	$(BIN)/mnistgan serve

clean:
	rm -rf $(VENV) .cache .pytest_cache

# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck unit bench clean trial

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev,voice]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/loci chat

lint: install
	$(BIN)/ruff check .

# mypy reads the package through a folder of links named like the installed package
# (genius_loci/core -> core/ ...), since the editable install maps names with an import hook.
typecheck: install
	@mkdir -p build/typecheck/genius_loci
	@for d in core connectors bots config; do ln -sfn ../../../$$d build/typecheck/genius_loci/$$d; done
	cd build/typecheck && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p genius_loci

# pytest exits 5 when it collected no test: that is a failure here, not a pass.
unit: install
	@$(BIN)/pytest tests; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

test: lint typecheck unit

bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.state
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.retrieval_latency
	$(BIN)/python -m bench.voice
	$(BIN)/python -m bench.feedback
	$(BIN)/python -m bench.weaviate_parity
	$(BIN)/python -m bench.dense_variants
	$(BIN)/python -m bench.dense_sentences
	$(BIN)/python -m bench.query_translation
	$(BIN)/python -m bench.answer_length
	$(BIN)/python -m bench.channels

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache

# A local scale-out trial (docs/deploy.md): 2 web, 2 workers, 1 housekeeping on PostgreSQL and Redis.
trial: install
	createdb -h 127.0.0.1 -U postgres loci_trial 2>/dev/null || true
	set -a && . deploy/trial.env && set +a && $(BIN)/loci db upgrade && $(BIN)/loci index init && $(BIN)/loci ingest
	$(BIN)/honcho -f deploy/Procfile -e deploy/trial.env start

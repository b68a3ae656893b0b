# waterwh — the front door. `make demo` and `make test` work on a fresh machine with Python 3.11.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3.11
export WATERWH_HOME ?= $(CURDIR)/var
# Bytecode compiled at install: with PYTHONDONTWRITEBYTECODE set (as on these machines) every process
# would otherwise compile dbt, GX and Dagster from source again (dbt's import: 7.3 s → 4.7 s).
export UV_COMPILE_BYTECODE := 1
# One pytest worker per core (measured on 2 cores: a third worker gave the same wall time, 21:03 vs 21:17,
# because the end-to-end tests are CPU-bound); each xdist group runs whole on one worker.
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
# Superset pins old pandas/SQLAlchemy: its own environment, from its own lock, with the same duckdb 2.0.0
BI_VENV := .venv-superset
# dbt-spark + pyspark for the Spark parity check: their own environment, from their own lock
SPARK_VENV := .venv-spark

.PHONY: help setup bi bi-lock spark spark-lock demo test test-fast test-spark lint docs bench serve screenshots bundle clean

help:
	@echo "make demo   — set up, generate sample ledgers, run the nightly job, show where to look"
	@echo "make test   — install test dependencies and run the test suite"
	@echo "make lint   — ruff"
	@echo "make serve  — Dagster UI + daemon on localhost:$${WATERWH_DAGSTER_PORT:-3000} (nightly schedule, landing sensor), Superset, the 报送 portal on localhost:$${WATERWH_PORTAL_PORT:-8090}"
	@echo "make docs   — dbt docs generate + serve"
	@echo "make bench  — benchmarks (not run by CI)"
	@echo "make bundle — dist/waterwh-offline-*.tar: every wheel and install.sh, for a server with no network"
	@echo "make test-spark — the dbt project on a local Spark session, marts compared with DuckDB's"

$(UV):
	@echo "→ installing uv (not found on PATH)"
	$(PYTHON) -m pip install --user --quiet uv || $(PYTHON) -m pip install --quiet uv
	@test -x "$(UV)" || { echo "uv was installed but not found at $(UV); add it to PATH"; exit 1; }

$(BIN)/waterwh: pyproject.toml uv.lock | $(UV)
	"$(UV)" sync --frozen --python $(PYTHON)
	@touch $@

setup: $(BIN)/waterwh

# --compile-bytecode: PYTHONDONTWRITEBYTECODE is set on these machines and Superset's commands
# would otherwise recompile ~9k modules each time (db upgrade 52 s instead of 21 s).
$(BI_VENV)/bin/superset: requirements/superset.lock | $(UV)
	test -x $(BI_VENV)/bin/python || "$(UV)" venv --quiet --python $(PYTHON) $(BI_VENV)
	"$(UV)" pip sync --quiet --python $(BI_VENV)/bin/python --compile-bytecode requirements/superset.lock
	@touch $@

bi: $(BI_VENV)/bin/superset

# Re-lock Superset's environment (not run by CI). The constraints are Superset's own pinned
# requirements/base.txt minus the pins that conflict with 6.1.0 (flask-cors, sqlglot, redis).
bi-lock: | $(UV)
	"$(UV)" pip compile requirements/superset.in -c requirements/superset-constraints.txt --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 --generate-hashes -o requirements/superset.lock

$(SPARK_VENV)/bin/dbt: requirements/spark.lock | $(UV)
	test -x $(SPARK_VENV)/bin/python || "$(UV)" venv --quiet --python $(PYTHON) $(SPARK_VENV)
	"$(UV)" pip sync --quiet --python $(SPARK_VENV)/bin/python requirements/spark.lock
	@touch $@

spark: $(SPARK_VENV)/bin/dbt

spark-lock: | $(UV)
	"$(UV)" pip compile requirements/spark.in --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 --generate-hashes -o requirements/spark.lock

# .ONESHELL: the leading @ keeps the whole recipe quiet; the commands say what they do themselves.
demo: setup
	@rm -rf "$(WATERWH_HOME)/landing" "$(WATERWH_HOME)/samples"
	mkdir -p "$(WATERWH_HOME)/landing"
	echo "→ generating sample ledgers for a fictional county"
	$(BIN)/waterwh samples --out "$(WATERWH_HOME)/samples" --scale small --seed 42
	# the ledgers go to the landing folder; the answer key stays beside them, not in it
	cp -r "$(WATERWH_HOME)/samples/." "$(WATERWH_HOME)/landing/"
	rm "$(WATERWH_HOME)/landing/answer_key.json"
	echo "→ the nightly job: ingest → dbt build → audit → publish"
	$(BIN)/waterwh run
	echo
	@echo "Next:"
	@echo "  published warehouse : $(WATERWH_HOME)/warehouse/waterwh.duckdb (open it read-only)"
	@echo "  what was published  : $(BIN)/waterwh status"
	@echo "  ask it in SQL       : $(BIN)/waterwh sql -c \"SELECT * FROM marts.rpt_investment_summary WHERE grouping = 'all' ORDER BY report_period_end\""
	@echo "  quarantined rows    : $(BIN)/waterwh sql -c \"SELECT file_name, sheet, row_number, header, raw_value, reason FROM audit.quarantine\""
	@echo "  check one ledger    : $(BIN)/waterwh check <file.xlsx>"
	@echo "  run report (中文)    : $(WATERWH_HOME)/reports/latest-run.md"
	@echo "  dashboards, Dagster : make serve   (Superset on localhost:$${WATERWH_BI_PORT:-8088}, Dagster on localhost:$${WATERWH_DAGSTER_PORT:-3000})"
	@echo "  报送 portal          : make serve   (localhost:$${WATERWH_PORTAL_PORT:-8090}; accounts: $(BIN)/waterwh portal users add …, docs/portal.md)"

test: setup bi spark
	"$(UV)" sync --frozen --group dev --python $(PYTHON)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup --durations=20

# The Spark parity check alone (also part of `make test`): needs Java 17 (Debian openjdk-17-jre-headless).
test-spark: setup spark
	"$(UV)" sync --frozen --group dev --python $(PYTHON)
	$(BIN)/pytest -q -p no:cacheprovider tests/test_spark_parity.py

test-fast: setup
	$(BIN)/pytest -q -m "not e2e"

lint: setup
	$(BIN)/ruff check .

docs: setup
	mkdir -p "$(WATERWH_HOME)/warehouse"
	WATERWH_BUILD_DB="$$(readlink -f $(WATERWH_HOME)/warehouse/waterwh.duckdb || echo $(WATERWH_HOME)/docs.duckdb)" \
	  $(BIN)/dbt docs generate --project-dir waterwh/dbt_project --profiles-dir waterwh/dbt_project --target-path "$(WATERWH_HOME)/dbt/docs"
	cd "$(WATERWH_HOME)/dbt/docs" && $(CURDIR)/$(BIN)/python -m http.server $${WATERWH_DOCS_PORT:-8080}

serve: setup bi
	$(BIN)/waterwh bi setup
	$(BIN)/python -m waterwh.serve

# Screenshots of every dashboard and the 报送 portal for docs/screenshots/ (the browser tests, keeping their pictures).
screenshots: setup bi
	"$(UV)" sync --frozen --group dev --python $(PYTHON)
	WATERWH_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -p no:cacheprovider \
	  tests/test_bi.py -k every_dashboard_renders tests/test_portal_browser.py

# Benchmarks (not run by CI): ingest speed, nightly runs at every scale, incremental, dashboards.
# BENCH_ARGS="--scales small,county" for a quicker run; results in docs/benchmarks.md.
bench: setup bi
	"$(UV)" sync --frozen --group dev --python $(PYTHON)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# One archive for a server with no network: waterwh's wheel, every locked wheel of its two environments,
# install.sh PREFIX (docs/operations.md). Fetching the wheels needs the package registries.
bundle: setup
	$(BIN)/python deploy/bundle.py --uv "$(UV)" --python $(PYTHON)

clean:
	rm -rf var dist .pytest_cache .ruff_cache waterwh/dbt_project/target waterwh/dbt_project/logs $(BI_VENV) $(SPARK_VENV)

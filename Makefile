# Short verbs; every one that needs it runs the idempotent set-up first.
#   make run       set up, start the embedded PostGIS, migrate, load demo data, serve
#   make test      set up, lint, run the whole suite (real PostGIS, real Chromium, nginx)
#   make coverage  the whole suite under coverage.py: a report, and HTML in .local/coverage/
#   make db-stop   stop the embedded PostGIS (data is kept)
#   make lock      resolve the dependencies afresh into constraints.txt (then run make test)
SHELL := /bin/bash
PY := .venv/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
PYTEST_ARGS ?=

.PHONY: run test coverage setup db db-stop lint format messages prepare shell lock bench-map bench-analysis bench-exchange bench-search bench-places bench-load bench-figures bench-addresses

setup:
	@scripts/setup.sh

# With DATABASE_URL set, the embedded cluster is not used at all.
db: setup
	@if [ -z "$$DATABASE_URL" ]; then scripts/db.sh start; else echo "[db] using DATABASE_URL"; fi

db-stop:
	@scripts/db.sh stop

messages: setup
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=.local -v 0

prepare: db messages
	@$(PY) manage.py migrate --no-input -v 1
	@# the demo's e-mails link to where `make run` serves (SITE_URL when set)
	@SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} $(PY) manage.py load_demo
	@$(PY) manage.py collectstatic --no-input -v 0

run: prepare
	@echo ""
	@echo "  We Create Space is at http://$(HOST):$(PORT)/  (Ctrl+C stops it; make db-stop stops the database)"
	@echo ""
	@# the task worker (exports, imports) runs beside the server and stops with it
	@export SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}; \
	  $(PY) manage.py db_worker --no-startup-delay & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

test: db messages
	@scripts/ensure-nginx.sh
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check --quiet .
	@$(PY) -m pytest $(PYTEST_ARGS)

# Not a gate: which lines and branches the suite runs, to find the user paths tested only
# below their page. The browser tests' live server and the worker processes count too.
coverage: db messages
	@scripts/ensure-nginx.sh
	@rm -rf .local/coverage && mkdir -p .local/coverage
	@$(PY) -m coverage run -m pytest $(PYTEST_ARGS)
	@$(PY) -m coverage combine -q 2>/dev/null || true
	@$(PY) -m coverage report
	@$(PY) -m coverage html -q
	@echo "[coverage] the report by file: .local/coverage/html/index.html"

# The newest versions pyproject.toml allows, installed into a throwaway virtualenv and
# written down exactly: setup installs those, so every machine runs what was tested.
lock:
	@rm -rf .lock-venv && python3 -m venv .lock-venv
	@.lock-venv/bin/python -m pip install -q --upgrade pip
	@.lock-venv/bin/python -m pip install -q -e ".[dev]"
	@{ echo "# Exact versions of every Python package, written by 'make lock' on $$(date -u +%F)"; \
	  echo "# from pyproject.toml's ranges; scripts/setup.sh installs with them (pip -c)."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > constraints.txt
	@rm -rf .lock-venv
	@echo "[lock] constraints.txt written; run make test before committing it"

lint: setup
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .

format: setup
	@$(PY) -m ruff format .
	@$(PY) -m ruff check --fix .

bench-map: db messages
	@$(PY) bench/map_proposals.py $(BENCH_ARGS)

bench-analysis: db
	@$(PY) bench/analysis.py $(BENCH_ARGS)

bench-exchange: db
	@scripts/ensure-nginx.sh
	@$(PY) bench/exchange.py $(BENCH_ARGS)

bench-search: db
	@$(PY) bench/search.py $(BENCH_ARGS)

bench-figures: db
	@$(PY) bench/figures.py $(BENCH_ARGS)

bench-places: db
	@$(PY) bench/places.py $(BENCH_ARGS)

# no database: the PRG reader against GDAL on the same synthetic file
bench-addresses: setup
	@$(PY) bench/addresses.py $(BENCH_ARGS)

# locust is only for this benchmark: installed on first use, not with the project
bench-load: db messages
	@$(PY) -c "import locust" 2>/dev/null || $(PY) -m pip install -q "locust>=2.40,<3"
	@$(PY) bench/load.py $(BENCH_ARGS)

shell: db
	@$(PY) manage.py shell

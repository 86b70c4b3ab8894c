# PSI Forum: `make run` serves the demo, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test test-pdf pdf-deps test-server lint format install migrate translations translations-update clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

install: $(BIN)/activate translations

translations: $(BIN)/activate
	if [ -d translations ]; then $(BIN)/pybabel compile --use-fuzzy -d translations 2>&1 | grep -v "^compiling" || true; fi

# Re-extract the UI strings (forum/ and templates/, see babel.cfg) and merge them into every catalog;
# then translate the new, empty msgstrs in translations/<lang>/LC_MESSAGES/messages.po.
translations-update: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l --project "PSI Forum" --version 0.1.0 \
		--copyright-holder "PSI Forum" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d translations --statistics

migrate: install
	$(FLASK) db upgrade

run: migrate
	$(FLASK) seed-demo
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

# Independent tests on two workers (pytest-xdist); the slow multi-process ones (`server`) run in test-server,
# which .ci/run runs too.
test: install
	$(BIN)/pytest -n 2 -m "not browser and not server and not pdf"

test-server: install
	$(BIN)/pytest -m server

# The PDF export (WeasyPrint) needs Pango; its test renders a page with pdftoppm/pdftotext (poppler-utils).
# Debian packages, installed only when missing. `make test` leaves these tests out (the `pdf` marker).
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils
pdf-deps:
	@missing=""; for p in $(PDF_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

test-pdf: install pdf-deps
	$(BIN)/pytest -m pdf

lint: install
	$(BIN)/ruff check forum tests bench
	$(BIN)/ruff format --check forum tests bench

format: install
	$(BIN)/ruff format forum tests bench
	$(BIN)/ruff check --fix forum tests bench

clean:
	rm -rf $(VENV) instance search_index/*

# The one place commands live; the README quotes it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: install run test chromium messages lint infra-check bench lock check clean-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/pybabel compile --domain django --directory frontend/locale --statistics
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/portal run

test: install chromium
	$(BIN)/pytest $(PYTEST_ARGS)

# Browser tests drive Debian's chromium; installed here when missing (the machine runs as root).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit --quiet --recursive --severity-level high --exclude '*/migrations/*' \
		saas tenants firms clients entitlements invoicing api frontend webhooks \
		payments sepa banking cards reminders

# The Compose file, checked by Compose itself where its plugin is installed.
infra-check:
	@if docker compose version >/dev/null 2>&1; then \
		docker compose -f infra/compose.yaml config --quiet && echo "infra/compose.yaml: valid"; \
	else echo "infra/compose.yaml: check skipped, the docker compose plugin is not installed"; fi

# Every benchmark; the report (README.md with its PNG charts, figures.json) goes to
# tests/benchmarks/results/. With PYTEST_ARGS="-k ..." only the sections that ran are replaced.
bench: install
	$(BIN)/pytest -m bench -s tests/benchmarks $(PYTEST_ARGS)

lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra embedded --python-version 3.11 --generate-hashes --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --constraints requirements.lock --python-version 3.11 --generate-hashes --quiet -o infra/requirements.lock

clean-data:
	rm -rf .data

# Production settings must pass Django's deployment checklist; no service is contacted.
DEPLOY_ENV := DJANGO_SETTINGS_MODULE=saas.settings DJANGO_DEBUG=0 \
	DJANGO_SECRET_KEY=check-only-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN \
	DATABASE_URL=postgres://comptoir:secret@db.internal:5432/comptoir \
	REDIS_URL=redis://cache.internal:6379/0 CELERY_BROKER_URL=amqp://mq.internal:5672// \
	S3_ENDPOINT_URL=https://s3.eu-west-3.amazonaws.com BASE_DOMAIN=comptoir.example \
	EMAIL_URL=smtp+tls://mailer:secret@smtp.internal:587

check: install
	$(BIN)/portal makemigrations --check --dry-run
	$(DEPLOY_ENV) $(BIN)/python -m django check --deploy --fail-level WARNING

# Refresh the catalogues from the sources, filling what is untranslated (or only guessed, fuzzy)
# from the PO files in frontend/locale/fr/parts/ (the catalogue comes first: its header and its
# translations stay; GNU gettext tools needed), then compile them.
messages: install
	$(BIN)/portal makemessages -l fr -l en --ignore=.venv --ignore=.data --ignore=tests --no-obsolete
	@if ls frontend/locale/fr/parts/*.po >/dev/null 2>&1; then \
		msgattrib --no-fuzzy frontend/locale/fr/LC_MESSAGES/django.po \
			-o frontend/locale/fr/LC_MESSAGES/django.po && \
		msgcat --use-first frontend/locale/fr/LC_MESSAGES/django.po frontend/locale/fr/parts/*.po \
			-o frontend/locale/fr/LC_MESSAGES/django.po && \
		$(BIN)/portal makemessages -l fr --ignore=.venv --ignore=.data --ignore=tests --no-obsolete; fi
	$(BIN)/pybabel compile --domain django --directory frontend/locale --statistics

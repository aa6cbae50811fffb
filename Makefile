# The two set-up commands (see README): `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# Tests run on the real PostgreSQL and Redis; these defaults match a local install or
# `docker compose up -d db redis`.
TEST_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/tsgcrm
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# The cache gets a Redis database of its own in tests: each test starts with it empty.
TEST_CACHE_URL ?= redis://127.0.0.1:6379/1

.PHONY: run test install demo messages lint clean bench bench-pipeline bench-reports \
	bench-newsletters bench-scale faults security backup-check

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	@export DEBUG=$${DEBUG:-1}; \
	echo "Preparing the database (first run: about a minute)…" && \
	$(PY) manage.py migrate --noinput -v 0 && \
	$(PY) manage.py demo && \
	echo "" && echo "  tsgcrm is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, workers and beat)" && echo "" && \
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" TSG_PORT=$(PORT) exec $(VENV)/bin/honcho start -f Procfile

test: $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	CACHE_URL=$${CACHE_URL:-$(TEST_CACHE_URL)} \
	DEBUG=0 SECRET_KEY=tests-only-not-secret \
	SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 \
	STATICFILES_BACKEND=django.contrib.staticfiles.storage.StaticFilesStorage \
	$(PY) -m pytest $(PYTEST_ARGS)

demo: $(VENV)/.installed
	DEBUG=$${DEBUG:-1} $(PY) manage.py demo

# Refresh and compile the French and Spanish catalogues (needs GNU gettext).
messages: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py makemessages -l fr -l es --no-obsolete --ignore=.venv --ignore=var
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

lint: $(VENV)/.installed
	$(PY) -m ruff check .

clean:
	rm -rf var/broker var/tsgcrm.sqlite3

# Speed benchmark on PostgreSQL (issue targets: 200k contacts, p95 <= 50 ms, 10k-row import
# <= 30 s). The database tsgcrm_bench is created and filled on first use.
BENCH_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/tsgcrm_bench
BENCH_ENV = DATABASE_URL=$(BENCH_DATABASE_URL) CACHE_URL=redis://127.0.0.1:6379/3 \
	DEBUG=0 SECRET_KEY=bench-only \
	SECURE_SSL_REDIRECT=0 AXES_ENABLED=0 ALLOWED_HOSTS=testserver \
	STATICFILES_BACKEND=django.contrib.staticfiles.storage.StaticFilesStorage
bench: $(VENV)/.installed
	-createdb -h 127.0.0.1 -U postgres tsgcrm_bench 2>/dev/null
	$(BENCH_ENV) $(PY) scripts/bench_contacts.py

bench-pipeline: $(VENV)/.installed
	-createdb -h 127.0.0.1 -U postgres tsgcrm_bench 2>/dev/null
	$(BENCH_ENV) $(PY) scripts/bench_pipeline.py

bench-reports: $(VENV)/.installed
	-createdb -h 127.0.0.1 -U postgres tsgcrm_bench 2>/dev/null
	$(BENCH_ENV) $(PY) scripts/bench_reports.py

# Newsletters (issue: 100,000 recipients to an SMTP sink on loopback, >= 300 messages a
# second with one worker, its peak memory <= 250 MB). Real Celery workers on a broker and
# cache of their own; ARGS="--recipients 5000" for a quick check, ARGS=--profile to profile.
# A database of its own: its 100,000 recipients would count towards the contacts benchmark's.
bench-newsletters: $(VENV)/.installed
	-createdb -h 127.0.0.1 -U postgres tsgcrm_nlbench 2>/dev/null
	$(BENCH_ENV) DATABASE_URL=postgres://postgres@127.0.0.1:5432/tsgcrm_nlbench \
		REDIS_URL=redis://127.0.0.1:6379/12 CACHE_URL=redis://127.0.0.1:6379/13 \
		$(PY) scripts/bench_newsletters.py $(ARGS)

# Proof at scale (docs/operations.md). The load tool lives in a venv of its own, so its
# dependencies never mix with the app's.
BENCH_VENV = .venv-bench
$(BENCH_VENV)/.installed:
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet locust==2.47.0
	touch $@

# The large network (50 offices, 500,000 contacts, 1,000,000 deals, 100,000 tasks, 5,000
# decisions; built once, about 35 minutes), then gunicorn + Celery under locust with 20
# people for 3 minutes: per page p50/p95/p99, throughput, errors, peak memory, in
# var/bench/load.json. ARGS="--scale 0.05 --minutes 1" for a quick run.
bench-scale: $(VENV)/.installed $(BENCH_VENV)/.installed
	$(PY) bench/run.py $(ARGS)

# Faults: Redis restarted and PostgreSQL stopped under work (uses `service`: run it where
# nothing else needs them), workers killed mid-send, mid-reminders and mid-PDF.
faults: $(VENV)/.installed
	$(PY) bench/faults.py $(ARGS)

# Attacks: every URL by another office's person and by an anonymous one, CSRF, XSS, SQL-ish
# input, open redirects, log-in throttling, check --deploy, security headers.
security: $(VENV)/.installed
	-createdb -h 127.0.0.1 -U postgres tsgcrm_sec 2>/dev/null
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/tsgcrm_sec \
		REDIS_URL=redis://127.0.0.1:6379/8 CACHE_URL=redis://127.0.0.1:6379/9 \
		SECRET_KEY=security-check-only-0123456789abcdefghijklmnopqrstuvwxyz DEBUG=0 \
		SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=testserver,localhost \
		STATICFILES_BACKEND=django.contrib.staticfiles.storage.StaticFilesStorage \
		$(PY) bench/security.py $(ARGS)

# Back up the database of DATABASE_URL (and the uploaded files), restore it into a scratch
# database and prove nothing was lost.
backup-check: $(VENV)/.installed
	$(PY) bench/backup.py $(ARGS)

# One command does everything on a fresh clone: `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test lint format bench demo clean

$(PY):
	python3 -m venv $(VENV)

# Reinstall whenever pyproject.toml changes, so a new dependency never fails CI.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The product end to end with no Twilio account: emulator, real gateway, echo or configured agent.
demo: $(STAMP)
	$(PY) -m hermes_sms demo --script "Hello!" \
		"It’s a “smart” reply — isn’t it…" \
		"Send **markdown** and a [link](https://example.com/docs_v2)" \
		"/help"

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info

# Two entry points, both usable on a fresh machine (see README):
#   make demo   set up the virtualenv and run the main job
#   make test   set up the virtualenv and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test check clean browser

setup: $(VENV)/.installed

# Re-install only when the dependency declarations change.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/wkp demo

# Lint, import order, format and types first: CI fails on any of them before the suite runs.
# The ten slowest tests are listed at the end: the suite aims to stay under ten minutes.
test: setup browser check
	$(BIN)/python -m pytest -q --durations=10

check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Browser tests drive Debian's chromium (the machine has no other browser; nothing is downloaded
# at run time). Installed from Debian's packages when missing.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

clean:
	rm -rf $(VENV) .wkp .pytest_cache

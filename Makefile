# Two entry points, both usable on a fresh machine (see README):
#   make demo   set up the virtualenv and run the main job
#   make test   set up the virtualenv and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test clean

setup: $(VENV)/.installed

# Re-install only when the dependency declarations change.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/wkp demo

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .wkp .pytest_cache

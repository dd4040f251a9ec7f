# The README's two commands. Each creates .venv if it is missing and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-raman test docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[test,docs,gym]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/optnet network-demo --out demo_out

demo-raman: $(STAMP)
	$(BIN)/optnet optimise-pumps --out demo_out

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2
	$(BIN)/python -m mkdocs build --strict --site-dir .site

bench: $(STAMP)
	$(BIN)/python benchmarks/gsnr.py
	$(BIN)/python benchmarks/raman.py
	$(BIN)/python benchmarks/network.py
	$(BIN)/python benchmarks/envs.py

clean:
	rm -rf $(VENV) .site demo_out

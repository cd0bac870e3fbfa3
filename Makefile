# Open MVAD — the commands a user runs. Everything installs into this folder (.venv, node_modules).
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: setup demo serve test test-slow bench clean
setup: .venv/.installed node_modules/.installed

.venv/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv .venv
	.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

## demo: start Azurite and the local host, train and detect on the sample data through the SDK, stop everything
demo: setup
	$(PY) -m devhost.demo

## serve: Azurite + the local Functions host on http://127.0.0.1:7071 (Ctrl-C stops both)
serve: setup
	$(PY) -m devhost.serve

## test: the default suite (unit, Azurite integration, SDK end to end); starts and stops Azurite itself
test: setup
	scripts/test.sh -m "not slow and not cuda"

test-slow: setup
	scripts/test.sh -m "slow and not cuda"

## bench: quality and speed against the anchors, JSON under bench/results/
bench: setup
	bench/run.sh

clean:
	rm -rf .azurite demo-output .pytest_cache

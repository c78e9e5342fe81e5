# FERCore — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
# Release binaries target x86-64-v3 (AVX2 + FMA, on every machine of this kind);
# see Docs/Performance.md. Override with `make demo CPU=x86-64` for older CPUs.
CPU ?= x86-64-v3
RELEASE_FLAGS := -c release -Xswiftc -target-cpu -Xswiftc $(CPU)
PY := .venv-tools/bin/python

.PHONY: demo test bench weights goldens setup build clean

setup:
	@bash Tools/setup_system.sh

build: setup
	$(SWIFT) build $(RELEASE_FLAGS) --product ferdemo

demo: build
	$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/ferdemo

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: setup
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --target-cpu $(CPU) 2>/dev/null || \
	  (cd Benchmarks && BENCHMARK_CPU=$(CPU) $(SWIFT) package benchmark)

weights:
	bash Tools/setup_venv.sh
	$(PY) Tools/convert_weights.py

goldens:
	bash Tools/setup_venv.sh
	$(PY) Tools/make_goldens.py
	$(PY) Tools/check_graph.py

clean:
	rm -rf .build Benchmarks/.build

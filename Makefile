# FERCore — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
# No CPU flags: FERCore's kernels are compiled for AVX2+FMA and AVX-512 whatever the build's
# target and chosen at run time from the CPU (Sources/CFERKernels), so this is exactly the build a
# package that depends on FERCore gets with a plain `swift build -c release`.
RELEASE_FLAGS := -c release
# Tests run optimised (numeric code in a debug build is 10-100x slower: the golden networks and
# the real-footage tracking tests would take minutes), with internal symbols visible to
# @testable imports, in a build directory of their own so that `make demo` is not rebuilt.
TEST_FLAGS := $(RELEASE_FLAGS) -Xswiftc -enable-testing --scratch-path .build-test
PY := .venv-tools/bin/python

.PHONY: demo test bench weights goldens train setup build clean

setup:
	@bash Tools/setup_system.sh

build: setup
	$(SWIFT) build $(RELEASE_FLAGS) --product ferdemo

demo: build
	$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/ferdemo

test: setup
	@echo "make test: building the tests (release, -enable-testing; log in .build-test.log)"
	@$(SWIFT) build $(TEST_FLAGS) --build-tests > .build-test.log 2>&1 || { tail -50 .build-test.log; echo "make test: the build failed"; exit 1; }
	@if grep -E "^$(CURDIR)/(Sources|Tests)/.*: warning:" .build-test.log; then echo "make test: the build has warnings (above); FERCore builds warning-free"; exit 1; fi
	$(SWIFT) test $(TEST_FLAGS) --skip-build
	@bash Tools/check_consumer_build.sh --check

bench:
	@bash Tools/setup_system.sh --bench
	cd Benchmarks && $(SWIFT) package benchmark --no-progress
	cd Benchmarks && $(SWIFT) package benchmark thresholds check --no-progress
	cd Benchmarks && $(SWIFT) run -c release fercore-gemm-report --statistic min
	bash Tools/check_consumer_build.sh --speed

weights:
	bash Tools/setup_venv.sh
	$(PY) Tools/convert_weights.py

# FERCore's own emotion model: trains on FER-2013 Training (../shared/data/fer2013-train),
# chooses the epoch on PublicTest, writes Weights/emotion_fernet.safetensors and its provenance
# in Weights/README.md (Tools/train_emotion.py; 22 epochs, about 45-100 min on 2 cores depending on other load).
train:
	bash Tools/setup_venv.sh
	nice -n 10 $(PY) Tools/train_emotion.py

goldens:
	bash Tools/setup_venv.sh
	$(PY) Tools/make_goldens.py
	$(PY) Tools/check_graph.py

clean:
	rm -rf .build .build-test .build-test.log Benchmarks/.build

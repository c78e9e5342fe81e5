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

.PHONY: demo test docs format bench weights goldens train setup build clean fuzz fuzz-build sanitize sanitize-address sanitize-thread

setup:
	@bash Tools/setup_system.sh

build: setup
	$(SWIFT) build $(RELEASE_FLAGS) --product ferdemo

demo: build
	$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/ferdemo

# What swift-format checks (.swift-format); Tests/ConsumerPackage is left alone: its programs are
# the README's, verbatim.
FORMAT_PATHS := Sources Tests/FERCoreTests Tests/FERMediaTests Tests/ferdemoTests Tests/FERServeTests Benchmarks/Sources Benchmarks/Benchmarks Fuzz/Sources

test: setup
	@$(SWIFT) format lint --strict -r $(FORMAT_PATHS) --configuration .swift-format || { echo "make test: swift-format findings (above); make format fixes the layout ones"; exit 1; }
	@echo "make test: building the tests (release, -enable-testing; log in .build-test.log)"
	@$(SWIFT) build $(TEST_FLAGS) --build-tests > .build-test.log 2>&1 || { tail -50 .build-test.log; echo "make test: the build failed"; exit 1; }
	@if grep -E "^$(CURDIR)/(Sources|Tests)/.*: warning:" .build-test.log; then echo "make test: the build has warnings (above); FERCore builds warning-free"; exit 1; fi
	$(SWIFT) test $(TEST_FLAGS) --skip-build
	@bash Tools/test_serve.sh
	@bash Tools/check_consumer_build.sh --check
	@bash Tools/build_docs.sh

format:
	$(SWIFT) format format -i -r $(FORMAT_PATHS) --configuration .swift-format

# DocC for FERCore and FERMedia with the toolchain's docc; any warning fails (also run by make test).
docs:
	bash Tools/build_docs.sh

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
# in Weights/README.md (Tools/train_emotion.py, PyTorch; 90 epochs, 108 min for the shipped
# weights on 2 cores). EPOCHS=N trains fewer epochs on a slower machine (the shipped weights used
# the default).
train:
	bash Tools/setup_venv.sh --train
	nice -n 10 $(PY) Tools/train_emotion.py $(if $(EPOCHS),--epochs $(EPOCHS))

goldens:
	bash Tools/setup_venv.sh
	$(PY) Tools/make_goldens.py
	$(PY) Tools/check_graph.py

# libFuzzer + AddressSanitizer on one target of Fuzz/ (its own package; `make test` never
# builds it). TARGET: safetensors, manifest, jpeg, image, video, detect, usertext. SECONDS: run time.
# The committed seeds (Fuzz/Corpus/TARGET) are read, not written; the growing corpus and any
# crash inputs go to Fuzz/.work/. Runs at nice 10: the build machine has 2 shared cores.
TARGET ?= safetensors
SECONDS ?= 60
# `--sanitize=fuzzer` makes SwiftPM link libFuzzer's main; the driver forwards only the last
# -sanitize= option to the compiler, so coverage and ASan come in as one `-sanitize=fuzzer,address`
# (with `--sanitize=fuzzer --sanitize=address` the libraries get ASan but no coverage counters).
FUZZ_FLAGS := -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address
FUZZ_RUNS ?= -1

fuzz-build: setup
	cd Fuzz && $(SWIFT) build $(FUZZ_FLAGS) --product fuzz-$(TARGET)

fuzz: fuzz-build
	mkdir -p Fuzz/.work/corpus/$(TARGET) Fuzz/.work/artifacts/$(TARGET)
	cd Fuzz && nice -n 10 $$($(SWIFT) build $(FUZZ_FLAGS) --show-bin-path)/fuzz-$(TARGET) \
		-max_total_time=$(SECONDS) -runs=$(FUZZ_RUNS) -print_final_stats=1 -timeout=20 -rss_limit_mb=3072 \
		-artifact_prefix=.work/artifacts/$(TARGET)/ .work/corpus/$(TARGET) Corpus/$(TARGET)

# The test suite under AddressSanitizer, then under ThreadSanitizer, each in its own build
# directory (.build-asan, .build-tsan) so that the normal builds are untouched. swiftc 6.3 has
# no -sanitize=undefined on Linux (Swift itself traps on overflow and bad unwraps), so there
# is no UBSan pass. Any report fails the run (halt_on_error); Docs/Reliability.md has the
# figures. Suppressions, each with its reason: Tools/sanitizers/.
ASAN_ENV := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tools/sanitizers/lsan.supp:print_suppressions=1
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/Tools/sanitizers/tsan.supp

sanitize: sanitize-address sanitize-thread

# Optimised like `make test` (a debug build under ASan took 22 min), with the sanitizer's checks.
SAN_FLAGS := -c release -Xswiftc -enable-testing

sanitize-address: setup
	$(SWIFT) build $(SAN_FLAGS) --build-tests --scratch-path .build-asan --sanitize=address
	$(ASAN_ENV) $(SWIFT) test $(SAN_FLAGS) --skip-build --scratch-path .build-asan --sanitize=address

sanitize-thread: setup
	$(SWIFT) build $(SAN_FLAGS) --build-tests --scratch-path .build-tsan --sanitize=thread
	$(TSAN_ENV) $(SWIFT) test $(SAN_FLAGS) --skip-build --scratch-path .build-tsan --sanitize=thread

clean:
	rm -rf .build .build-test .build-test.log .build-asan .build-tsan Benchmarks/.build Fuzz/.build Fuzz/.work

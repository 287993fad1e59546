# The VAE pipeline. `make` runs the default pipeline (Fashion-MNIST) end to end; `make test` builds
# and runs every test. `make help` lists the pipelines and targets.
#
# Each stage writes artifacts/PIPELINE/STAGE-ID/, where ID hashes the stage's parameters, the
# tools' version and the ID of the artifact it reads: change one parameter and only the stages
# it affects run again, beside the old results.

SHELL := /bin/bash
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:

PIPELINE ?= fashion-mnist
ifeq ($(wildcard pipelines/$(PIPELINE).mk),)
$(error unknown PIPELINE '$(PIPELINE)': see 'make help')
endif
include pipelines/$(PIPELINE).mk

DEB_PACKAGES := libpng-dev libturbojpeg0-dev zlib1g-dev libopenblas-dev libssl-dev libcairo2-dev fonts-dejavu-core dataset-fashion-mnist \
	pkg-config time jq libopenmpi-dev openmpi-bin man-db
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_FLAGS := -c release -Xswiftc -target-cpu -Xswiftc native
BIN := .build/release
VERSION := $(shell sed -n 's/.*current = "\(.*\)".*/\1/p' Sources/VAECore/Version.swift)
THREADS ?= $(shell nproc)
# A launcher for the ingest, train and embed stages, e.g. LAUNCH="mpirun -np 4 --hostfile hosts"
# (docs/DISTRIBUTED.md). The train stage's ID includes its process count N (-np/-n), on which the
# bits depend; THREADS is then the threads of each process.
LAUNCH ?=
RANKS := $(or $(shell printf '%s' '$(LAUNCH)' | sed -n 's/.*-\(np\|n\) *\([0-9][0-9]*\).*/\2/p'),1)

hash = $(shell printf '%s' '$(1)' | sha256sum | cut -c1-10)
ARTIFACTS ?= artifacts
ART := $(ARTIFACTS)/$(PIPELINE)
INGEST_ID := $(call hash,ingest $(VERSION) $(INGEST_ARGS) $(INGEST_OPTS))
TRAIN_ID := $(call hash,train $(VERSION) $(INGEST_ID) $(TRAIN_OPTS) threads=$(THREADS)$(if $(filter-out 1,$(RANKS)), ranks=$(RANKS)))
EMBED_ID := $(call hash,embed $(VERSION) $(TRAIN_ID) $(EMBED_OPTS))
GENERATE_ID := $(call hash,generate $(VERSION) $(TRAIN_ID) $(EMBED_ID) $(GENERATE_OPTS) $(MANIFOLD) $(CLASSES) $(VARIANCE))
INGEST := $(ART)/ingest-$(INGEST_ID)
TRAIN := $(ART)/train-$(TRAIN_ID)
EMBED := $(ART)/embed-$(EMBED_ID)
GENERATE := $(ART)/generate-$(GENERATE_ID)
STAGE := TOOL_VERSION=$(VERSION) pipelines/stage.sh
# The train stage's command: vae-train, or a pipeline's script around it (given vae-train first).
TRAIN_TOOL ?= $(BIN)/vae-train
STAGE_LAUNCHED := LAUNCH='$(LAUNCH)' $(STAGE)

# ---- one run of a pipeline at a time ------------------------------------------------------------
# The goals that write a pipeline's artifacts run in a sub-make holding artifacts/PIPELINE/.lock
# (pipelines/locked.sh): a second run of the same pipeline waits for the first, or with NOWAIT=1
# exits at once naming the process that holds the lock.
LOCKED_GOALS := all ingest train embed generate report clean-artifacts
GOALS := $(or $(MAKECMDGOALS),$(.DEFAULT_GOAL))
ifneq ($(if $(PIPELINE_LOCKED),,$(filter $(LOCKED_GOALS),$(GOALS))),)
.PHONY: $(GOALS)
$(firstword $(GOALS)):
	@pipelines/locked.sh $(ART)/.lock $(MAKE) --no-print-directory PIPELINE_LOCKED=1 $(GOALS)
$(wordlist 2,$(words $(GOALS)),$(GOALS)):
	@:
else

.PHONY: all deps build test test-exact test-unit test-pipeline test-pipeline-rgb test-install man install uninstall bench-ingest bench-photos bench-train bench-train-conv bench-train-photos bench-embed help clean \
	clean-artifacts ingest train embed generate fuzz runs report

all: generate embed
	@echo
	@echo "pipeline $(PIPELINE): done"
	@elbo=$$(jq -r '.test_neg_elbo // "n/a"' $(TRAIN)/summary.json); \
	if [ "$$elbo" = n/a ]; then echo "  test negative ELBO: n/a (no test examples)"; \
	else echo "  test negative ELBO: $$(printf '%.2f' "$$elbo") nats per example"; fi
	@jq -r 'if .active_units == null then empty else "  latent use: \(.active_units)/\(.latent_size) active units" + (if .test_psnr_db == null then "" else ", reconstruction PSNR \(.test_psnr_db * 100 | round / 100) dB (mean image \(.mean_image_psnr_db * 100 | round / 100) dB)" end) end' $(TRAIN)/summary.json
	@echo "  model:     $(ART)/latest/train/model.ckpt"
	@echo "  latents:   $(ART)/latest/latents.csv"
	@for f in $(SHEETS); do echo "  sheet:     $(ART)/latest/$$f.png"; done
	@for f in $(PLOTS); do echo "  plot:      $(ART)/latest/$$f.png"; done

# ---- the machine ------------------------------------------------------------------------------

# deps and build write to stderr only, so that a target that prints data after them prints only
# the data on stdout (make runs FORMAT=csv > runs.csv).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi >&2

build: deps
	@echo "swift build $(RELEASE_FLAGS)" >&2
	@swift build $(RELEASE_FLAGS) >&2

# ---- the stages -------------------------------------------------------------------------------

ingest: $(INGEST)/provenance.json
train: $(TRAIN)/provenance.json
embed: $(EMBED)/provenance.json
generate: $(GENERATE)/provenance.json

$(INGEST)/provenance.json: | build
	$(STAGE_LAUNCHED) ingest $(INGEST) - - "$(INGEST_ARGS) $(INGEST_OPTS)" -- \
		$(BIN)/vae-ingest $(INGEST_ARGS) $(INGEST_OPTS) --out @OUT@ --force
	$(BIN)/vae-ingest verify $(INGEST)

$(TRAIN)/provenance.json: $(INGEST)/provenance.json | build
	$(STAGE_LAUNCHED) train $(TRAIN) $(INGEST) $(INGEST)/manifest.json "$(TRAIN_OPTS) --threads $(THREADS)" -- \
		$(TRAIN_TOOL) --data $(INGEST) --out @OUT@ @RESUME@ --threads $(THREADS) $(TRAIN_OPTS)

$(EMBED)/provenance.json: $(TRAIN)/provenance.json | build
	$(STAGE_LAUNCHED) embed $(EMBED) $(TRAIN) $(TRAIN)/model.ckpt "$(EMBED_OPTS)" -- \
		$(BIN)/vae-embed --checkpoint $(TRAIN)/model.ckpt --data $(INGEST) --out @OUT@/latents.csv $(EMBED_OPTS)
	ln -sfn embed/latents.csv $(ART)/latest/latents.csv

# The scatter plot reads the embed stage's latents.csv, so generate runs after embed.
$(GENERATE)/provenance.json: $(TRAIN)/provenance.json $(EMBED)/provenance.json | build
	$(STAGE) generate $(GENERATE) $(TRAIN) $(TRAIN)/model.ckpt "$(GENERATE_OPTS) $(MANIFOLD)" -- \
		env CLASSES=$(or $(CLASSES),no) VARIANCE=$(or $(VARIANCE),no) pipelines/generate-sheets.sh $(BIN)/vae-generate $(TRAIN)/model.ckpt $(INGEST) @OUT@ "$(MANIFOLD)" \
		$(EMBED)/latents.csv $(GENERATE_OPTS)
	for f in $(SHEETS) $(PLOTS); do ln -sfn generate/$$f.png $(ART)/latest/$$f.png; done

SHEETS := samples reconstructions traversal interpolation $(if $(filter yes,$(MANIFOLD)),manifold) $(if $(filter yes,$(CLASSES)),classes) \
	$(if $(filter yes,$(PSEUDO_INPUTS)),pseudo-inputs)
PLOTS := curves scatter $(if $(filter yes,$(VARIANCE)),variance)

# ---- looking at the results -------------------------------------------------------------------

FORMAT ?= table
# The pipeline's training runs: make runs [PIPELINE=NAME] [FORMAT=table|csv|md|json] [SORT=column] [ALL=1]
runs: build
	@$(BIN)/vae-generate runs --artifacts $(ART) --format $(FORMAT) $(if $(SORT),--sort $(SORT)) $(if $(ALL),--all)

# One static page of the pipeline's latest results: artifacts/PIPELINE/latest/report.html.
report: all
	$(BIN)/vae-generate report --artifacts $(ART)

# ---- tests and benchmarks ---------------------------------------------------------------------

test: deps
	swift build --build-tests
	swift test --skip-build 2>&1 | tee .build/test.log; exit $${PIPESTATUS[0]}
	.build/debug/vae-fuzz all --seconds $(FUZZ_TEST_SECONDS) Tests/Fuzz/corpus Tests/Fuzz/regressions
	$(MAKE) --no-print-directory test-pipeline
	$(MAKE) --no-print-directory test-pipeline-rgb
	$(MAKE) --no-print-directory test-install

# The fuzz targets (Tests/Fuzz/README.md) under libFuzzer, FUZZ_SECONDS each; new inputs join the
# corpus in Tests/Fuzz/corpus/TARGET, a crash is saved as Tests/Fuzz/crash-TARGET-* (Swift's own
# backtracer is off, so that libFuzzer sees the trap and saves the input).
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 20
FUZZ_TARGETS := manifest shard checkpoint checkpoint-conv idx png jpeg
fuzz: deps
	swift build --scratch-path .build/fuzz --product vae-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DLIBFUZZER -Xswiftc -use-ld=lld
	for t in $(FUZZ_TARGETS); do \
		mkdir -p Tests/Fuzz/corpus/$$t Tests/Fuzz/regressions/$$t; \
		SWIFT_BACKTRACE=enable=no .build/fuzz/debug/vae-fuzz $$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
			-artifact_prefix=Tests/Fuzz/crash-$$t- Tests/Fuzz/corpus/$$t Tests/Fuzz/regressions/$$t || exit 1; \
	done

# The tests that promise identical bytes (named testExact...), under OpenBLAS's AVX2 kernels and
# with OpenBLAS on one thread: other machines pick other kernels, and the promise must hold on
# every one (docs/METHOD.md, "What is exact").
EXACT_TESTS := /testExact
test-exact: deps
	swift build --build-tests
	OPENBLAS_CORETYPE=Haswell swift test --skip-build --filter $(EXACT_TESTS)
	OPENBLAS_NUM_THREADS=1 swift test --skip-build --filter $(EXACT_TESTS)

# The smoke pipeline end to end through this Makefile (tests/pipeline.sh says what it checks).
test-pipeline: build
	bash Tests/pipeline.sh

# The color smoke pipeline end to end: RGB shards, an RGB model, RGB sheets (PNG color type 2).
test-pipeline-rgb: build
	bash Tests/pipeline-rgb.sh

# make install into a temporary prefix, then the installed tool, man page and completion, then
# make uninstall (Tests/install.sh says what it checks).
test-install: build
	bash Tests/install.sh

bench-ingest: build
	bash pipelines/bench.sh ingest $(BIN)
	bash pipelines/bench-photos.sh million $(BIN)

# 10,000 generated 640x480 JPEGs (cached under artifacts/) to 64x64 RGB shards.
bench-photos: build
	bash pipelines/bench-photos.sh photos $(BIN)

bench-train: build
	bash pipelines/bench.sh train $(BIN)

bench-train-conv: build
	bash pipelines/bench.sh train-conv $(BIN)

# The 64x64 RGB conv model of photo folders (channels 32,64,128,256, latent 64, batch 64).
bench-train-photos: build
	bash pipelines/bench.sh train-photos $(BIN) 3

bench-embed: build
	bash pipelines/bench.sh embed $(BIN)

# ---- installing -------------------------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: the four tools of the pipeline from the release
# build, a man page for each (swift-argument-parser's generate-manual plugin: one page per tool,
# its subcommands included) and its bash, zsh and fish completions (the tool's
# --generate-completion-script), where those shells look under PREFIX. make uninstall removes
# exactly the files of INSTALLED, and no directory.
PREFIX ?= /usr/local
TOOLS := vae-ingest vae-train vae-embed vae-generate
DEST = $(DESTDIR)$(PREFIX)
MAN_PAGES := .build/plugins/GenerateManual/outputs
COMPLETIONS := .build/completions
# The pages carry the date of the last commit, not of the build.
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null)
installed = $(DEST)/bin/$(1) $(DEST)/share/man/man1/$(1).1 $(DEST)/share/bash-completion/completions/$(1) \
	$(DEST)/share/zsh/site-functions/_$(1) $(DEST)/share/fish/vendor_completions.d/$(1).fish
INSTALLED = $(foreach t,$(TOOLS),$(call installed,$(t)))
check_prefix = $(if $(strip $(PREFIX)),,$(error PREFIX is empty: give a directory, e.g. PREFIX=/usr/local))

# The man pages of every tool, in $(MAN_PAGES)/TOOL/TOOL.1. The plugin builds the package with the
# same flags as `build`, so it reuses that build.
man: build
	swift package $(RELEASE_FLAGS) --allow-writing-to-package-directory generate-manual $(if $(MAN_DATE),--date $(MAN_DATE))

install: man
	$(check_prefix)
	@set -e; mkdir -p $(COMPLETIONS); for t in $(TOOLS); do \
		for sh in bash zsh fish; do $(BIN)/$$t --generate-completion-script $$sh > $(COMPLETIONS)/$$t.$$sh; done; \
		install -D -m 755 $(BIN)/$$t $(DEST)/bin/$$t; \
		install -D -m 644 $(MAN_PAGES)/$$t/$$t.1 $(DEST)/share/man/man1/$$t.1; \
		install -D -m 644 $(COMPLETIONS)/$$t.bash $(DEST)/share/bash-completion/completions/$$t; \
		install -D -m 644 $(COMPLETIONS)/$$t.zsh $(DEST)/share/zsh/site-functions/_$$t; \
		install -D -m 644 $(COMPLETIONS)/$$t.fish $(DEST)/share/fish/vendor_completions.d/$$t.fish; \
	done
	@printf 'installed: %s\n' $(INSTALLED)

uninstall:
	$(check_prefix)
	@for f in $(INSTALLED); do if [ -e "$$f" ] || [ -L "$$f" ]; then rm -f "$$f" && echo "removed: $$f"; fi; done

# ---- housekeeping -----------------------------------------------------------------------------

# One line per target and per pipeline (the first line of pipelines/NAME.mk), in two aligned columns.
HELP_LINE := printf '%-37s %s\n'
help:
	@$(HELP_LINE) 'make [PIPELINE=NAME] [THREADS=N]' 'run a pipeline end to end (default: fashion-mnist, all cores)'
	@$(HELP_LINE) 'make LAUNCH="mpirun -np N" ...' 'ingest, train and embed under mpirun (docs/DISTRIBUTED.md)'
	@$(HELP_LINE) 'make ingest|train|embed|generate' 'run the pipeline up to one stage'
	@$(HELP_LINE) 'make runs [FORMAT=F] [SORT=C] [ALL=1]' 'its training runs (F: table, csv, md or json; C: a column)'
	@$(HELP_LINE) 'make report' 'run the pipeline, then write its latest/report.html'
	@$(HELP_LINE) 'make clean-artifacts [PIPELINE=NAME]' "remove one pipeline's artifacts"
	@$(HELP_LINE) 'make test' 'build and run every test, the smoke pipelines included'
	@$(HELP_LINE) 'make test-exact' 'the exactness tests under the AVX2 kernels and one OpenBLAS thread'
	@$(HELP_LINE) 'make fuzz [FUZZ_SECONDS=N]' 'every fuzz target under libFuzzer, N seconds each (60)'
	@$(HELP_LINE) 'make bench-train|bench-train-conv' 'train on Fashion-MNIST, MLP or conv, against the sgemm floor'
	@$(HELP_LINE) 'make bench-train-photos' 'train the 64x64 RGB conv model of photo folders, steps per second'
	@$(HELP_LINE) 'make bench-ingest' 'ingest Fashion-MNIST, then a million generated images'
	@$(HELP_LINE) 'make bench-photos' '10,000 generated JPEGs to 64x64 RGB shards'
	@$(HELP_LINE) 'make bench-embed' "embed Fashion-MNIST's 70,000 images"
	@$(HELP_LINE) 'make build' 'the release build of the tools, in .build/release'
	@$(HELP_LINE) 'make install [PREFIX=/usr/local]' 'install the tools, their man pages and shell completions'
	@$(HELP_LINE) 'make uninstall [PREFIX=/usr/local]' 'remove exactly the files that install writes'
	@$(HELP_LINE) 'make clean' 'remove the build'
	@echo
	@echo 'pipelines (make PIPELINE=NAME; settings in pipelines/NAME.mk):'
	@for n in $$(ls pipelines/*.mk | sed 's|.*/||; s|\.mk$$||' | LC_ALL=C sort); do \
		$(HELP_LINE) "  $$n" "$$(sed -n '1s/^# *//p' pipelines/$$n.mk)"; done

clean:
	rm -rf .build

clean-artifacts:
	rm -rf $(ART)

endif # PIPELINE_LOCKED

# program/build.mk — builds the on-chain C programs with stock clang and
# sbfld. Included by the top-level Makefile; paths are relative to the repo
# root. See docs/sbfld.md.
#
#   make programs         rebuild program/*/*.so (committed) from C sources
#   make programs-check   rebuild into a temp dir and fail if any byte differs
#                         from the committed .so files
#
# The committed .so files are what tests load, so tests run without clang.
# Their bytes depend on the clang version: they are built with Debian
# bookworm's clang 14.0.6. With another version (or no clang) programs-check
# fails in CI (CI set) and is skipped with a message elsewhere.

# Keep the includer's default goal: this file must not make `programs` the
# default just by being included first.
sbf_saved_goal := $(.DEFAULT_GOAL)

SBF_CLANG         ?= clang
SBF_CLANG_VERSION ?= 14.0.6
# v0 deploys and runs on surfpool/LiteSVM 1.5.0 default feature sets; v3 also
# deploys where SIMD-0500 (no new v0 deployments) is active. See docs/sbfld.md.
SBF_ARCH          ?= v0
SBF_CFLAGS        := -target bpf -mcpu=v2 -O2 -fno-builtin -ffreestanding \
                     -Wall -Wextra -Werror -Iprogram/include

SBF_TMP  := program/build/tmp
SBFLD    := $(SBF_TMP)/sbfld
# Output root and object dir; programs-check overrides both.
SBF_OUT  ?= program
SBF_OBJ  ?= $(SBF_TMP)/obj

# <source dir under program/>/<output basename>, one per program.
SBF_PROGRAMS := gplsession/gpl_session examplegame/example_game

sbf_dir = $(firstword $(subst /, ,$(1)))
sbf_srcs = $(sort $(wildcard program/$(call sbf_dir,$(1))/*.c))
# Programs whose sources exist yet; the others are skipped with a note.
SBF_PRESENT := $(foreach p,$(SBF_PROGRAMS),$(if $(call sbf_srcs,$(p)),$(p)))
SBF_SO      := $(foreach p,$(SBF_PRESENT),$(SBF_OUT)/$(p).so)

# Variants built from a program's sources with extra flags, for tests only: the legacy
# V1 session build (create_session and revoke_session, lamports ignored) stands in for
# the 2023 builds still deployed, so the suite can check itself against one.
SBF_VARIANTS := gplsession/testdata/gpl_session_legacy_v1
SBF_SO       += $(SBF_OUT)/gplsession/testdata/gpl_session_legacy_v1.so

.PHONY: programs programs-check sbf-clang

programs: $(SBF_SO)
	@$(foreach p,$(filter-out $(SBF_PRESENT),$(SBF_PROGRAMS)),echo "programs: skipping $(p): no program/$(call sbf_dir,$(p))/*.c yet";)

# Rebuild the linker when its sources change; -trimpath keeps the binary
# independent of the checkout path (its output is path-independent anyway).
$(SBFLD): $(wildcard internal/sbfld/*.go internal/sbfld/cmd/sbfld/*.go)
	@mkdir -p $(@D)
	go build -trimpath -o $@ ./internal/sbfld/cmd/sbfld

# clang is the only system dependency. In CI it is installed when missing;
# elsewhere the message says what to install. A different version still
# builds (with a warning) but cannot reproduce the committed bytes.
sbf-clang:
	@if ! command -v $(SBF_CLANG) >/dev/null 2>&1; then \
	  if [ -n "$$CI" ]; then \
	    sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    echo "sbf-clang: $(SBF_CLANG) missing, installing clang with apt-get (CI)"; \
	    $$sudo apt-get update && $$sudo apt-get install -y clang || exit 1; \
	  else \
	    echo "sbf-clang: $(SBF_CLANG) not found. Install Debian bookworm's clang $(SBF_CLANG_VERSION): apt-get install -y clang" >&2; \
	    echo "           (tests do not need it: they use the committed program/*/*.so)" >&2; \
	    exit 1; \
	  fi; \
	fi; \
	v=$$($(SBF_CLANG) --version | head -n1 | sed -n 's/.*clang version \([0-9][0-9.]*\).*/\1/p'); \
	if [ "$$v" != "$(SBF_CLANG_VERSION)" ]; then \
	  echo "sbf-clang: warning: $(SBF_CLANG) is version '$$v', the committed .so files were built with $(SBF_CLANG_VERSION);" >&2; \
	  echo "           the output will differ byte for byte (use Debian bookworm: apt-get install -y clang)" >&2; \
	fi

$(SBF_OBJ)/%.o: program/%.c | sbf-clang
	@mkdir -p $(@D)
	$(SBF_CLANG) $(SBF_CFLAGS) -MMD -MP -c $< -o $@

-include $(patsubst program/%.c,$(SBF_OBJ)/%.d,$(foreach p,$(SBF_PRESENT),$(call sbf_srcs,$(p))))

define sbf_link
$(SBF_OUT)/$(1).so: $(patsubst program/%.c,$(SBF_OBJ)/%.o,$(call sbf_srcs,$(1))) $(SBFLD)
	@mkdir -p $$(@D)
	$(SBFLD) -arch $(SBF_ARCH) -o $$@ $$(filter %.o,$$^)
endef
$(foreach p,$(SBF_PRESENT),$(eval $(call sbf_link,$(p))))

$(SBF_OBJ)/legacy_v1/gpl_session.o: program/gplsession/gpl_session.c | sbf-clang
	@mkdir -p $(@D)
	$(SBF_CLANG) $(SBF_CFLAGS) -DSESSION_LEGACY_V1 -MMD -MP -c $< -o $@

-include $(SBF_OBJ)/legacy_v1/gpl_session.d

$(SBF_OUT)/gplsession/testdata/gpl_session_legacy_v1.so: $(SBF_OBJ)/legacy_v1/gpl_session.o $(SBFLD)
	@mkdir -p $(@D)
	$(SBFLD) -arch $(SBF_ARCH) -o $@ $<

# Outside CI a missing or different clang skips the check (loudly): tests
# use the committed .so files and do not need clang. In CI it must run.
programs-check:
	@set -e; \
	if ! command -v $(SBF_CLANG) >/dev/null 2>&1 && [ -z "$$CI" ]; then \
	  echo "programs-check: SKIPPED: $(SBF_CLANG) not found; install Debian bookworm's clang $(SBF_CLANG_VERSION) (apt-get install -y clang) to check program/*/*.so (CI always checks)" >&2; \
	  exit 0; \
	fi; \
	$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) sbf-clang; \
	v=$$($(SBF_CLANG) --version | head -n1 | sed -n 's/.*clang version \([0-9][0-9.]*\).*/\1/p'); \
	if [ "$$v" != "$(SBF_CLANG_VERSION)" ]; then \
	  echo "programs-check: clang '$$v' cannot reproduce the committed .so files (built with $(SBF_CLANG_VERSION));" >&2; \
	  echo "                run it on Debian bookworm (e.g. the golang:1.26-bookworm image)" >&2; \
	  if [ -n "$$CI" ]; then exit 1; fi; \
	  echo "programs-check: SKIPPED outside CI" >&2; exit 0; \
	fi; \
	rm -rf $(SBF_TMP)/check; \
	$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) SBF_OUT=$(SBF_TMP)/check SBF_OBJ=$(SBF_TMP)/check/obj programs; \
	fail=0; for p in $(SBF_PRESENT) $(SBF_VARIANTS); do \
	  if cmp -s $(SBF_TMP)/check/$$p.so program/$$p.so; then echo "programs-check: program/$$p.so reproduced"; \
	  else echo "programs-check: program/$$p.so differs from a rebuild with clang $$v: run make programs and commit" >&2; fail=1; fi; \
	done; exit $$fail

# Test fixtures of the linker: committed objects, so `go test` needs no
# clang. Rebuild after editing internal/sbfld/testdata/*.c (with clang
# $(SBF_CLANG_VERSION)), then refresh the golden hashes:
#   go test ./internal/sbfld -run Golden -update
SBFLD_FIXTURES := $(patsubst %.c,%.o,$(wildcard internal/sbfld/testdata/*.c))
# Per-fixture flags, appended after SBF_CFLAGS (the last -mcpu wins).
SBFLD_FIXTURE_FLAGS_alu32        := -mcpu=v3
SBFLD_FIXTURE_FLAGS_funcsections := -ffunction-sections

.PHONY: sbfld-fixtures
sbfld-fixtures: $(SBFLD_FIXTURES)

internal/sbfld/testdata/%.o: internal/sbfld/testdata/%.c | sbf-clang
	$(SBF_CLANG) $(SBF_CFLAGS) $(SBFLD_FIXTURE_FLAGS_$*) -c $< -o $@

.DEFAULT_GOAL := $(sbf_saved_goal)

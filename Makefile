# SPDX-License-Identifier: GPL-2.0
#
# buddy.ko: `make` builds the module against the running kernel (or KDIR);
# `make run` and `make test` use the QEMU test kernels (see README.md).

KDIR ?= /lib/modules/$(shell uname -r)/build
KVER ?= 6.1
BUDDY_CACHE ?= $(HOME)/.cache/buddy
export BUDDY_CACHE

# Files our style gates cover.
SRCS := buddy_mod.c buddy_core.c buddy_core.h buddy_debugfs.c \
	buddy_internal.h buddy_compat.h include/buddy.h \
	tests/kunit/buddy_kunit_suites.c tests/kunit/buddy_core_copy.c tests/client/buddy_client.c \
	tests/bench/buddy_bench.c

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The example client, the benchmark and (where the kernel has KUnit) the
# KUnit module, against buddy's Module.symvers.
HAS_KUNIT = $(shell grep -qE '^CONFIG_KUNIT=[ym]' $(KDIR)/.config 2>/dev/null && echo y)

extra: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/client \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules
ifeq ($(HAS_KUNIT),y)
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/kunit \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules
endif
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/bench \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/client clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/kunit clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/bench clean
	-$(MAKE) -C tests/core clean

# Absolute path of the test kernel tree for KVER, built if needed.
print-kdir:
	@bash scripts/build-kernel.sh $(KVER)

check-core:
	$(MAKE) -C tests/core check

fuzz:
	$(MAKE) -C tests/core fuzz

coverage:
	$(MAKE) -C tests/core coverage

bench-core:
	$(MAKE) -C tests/core bench

# In-kernel comparison with alloc_pages(), gen_pool and drm_buddy, one
# QEMU boot per Debian stock kernel in FLAVOURS. ARGS go to buddy_bench.ko
# (iters=N rounds=N seed=N); CHART=docs/bench.png also draws all
# flavours' ratios in one chart there; REV=COMMIT builds the modules from
# that commit instead of the working tree.
FLAVOURS ?= 6.1 6.12
bench:
	BENCH_CHART="$(CHART)" BENCH_REV="$(REV)" \
		bash scripts/bench-kernel.sh $(FLAVOURS) -- $(ARGS)

# Style and static checks: checkpatch --strict, kernel-doc, sparse, W=1.
lint:
	bash scripts/lint.sh $(KVER)

run:
	bash scripts/run.sh $(KVER) $(ARGS)

shell:
	bash scripts/run.sh --shell $(KVER) $(ARGS)

test:
	bash scripts/test.sh

.PHONY: all modules extra clean print-kdir check-core fuzz coverage \
	bench-core bench lint run shell test

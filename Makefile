# SPDX-License-Identifier: GPL-2.0
#
# buddy.ko: `make` builds the module against the running kernel (or KDIR);
# `make run` and `make test` use the QEMU test kernels (see README.md).
#
# Installing (KDIR selects the kernel; KREL is its release, read from
# KDIR's utsrelease.h; KVER below picks a test kernel and is unrelated):
#   make install [DESTDIR=ROOT]   buddy.ko to ROOT/lib/modules/KREL/updates/
#                                 (modules_install, so .ko.xz where the
#                                 kernel compresses), depmod; include/buddy.h
#                                 to ROOT/usr/src/buddy-VERSION/include/ and
#                                 Module.symvers to ROOT/usr/src/buddy-VERSION/KREL/
#   make uninstall [DESTDIR=ROOT] removes those (the header only when no
#                                 other KREL and no DKMS source need it), depmod
#   make dkms [DKMS_ROOT=ROOT]    copies the sources to /usr/src/buddy-VERSION,
#                                 dkms add, build, install for KDIR (default:
#                                 the running kernel); Module.symvers ends up in
#                                 /var/lib/dkms/buddy/VERSION/KREL/ARCH/
#   make dkms-remove [DKMS_ROOT=ROOT]  dkms remove --all and those sources
# VERSION is MODULE_VERSION in buddy_mod.c (dkms.conf must agree). With
# DKMS_ROOT the DKMS trees live under ROOT and nothing else is touched.
# A client module builds with -I/usr/src/buddy-VERSION/include and
# KBUILD_EXTRA_SYMBOLS=/usr/src/buddy-VERSION/KREL/Module.symvers.

KDIR ?= /lib/modules/$(shell uname -r)/build
KVER ?= 6.1
BUDDY_CACHE ?= $(HOME)/.cache/buddy
export BUDDY_CACHE

VERSION := $(shell sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' $(CURDIR)/buddy_mod.c)
# Not include/config/kernel.release: Debian's 6.1 headers say "6.1.192".
KREL = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h)
SRCDIR = $(DESTDIR)/usr/src/buddy-$(VERSION)
DEPMOD_CMD = depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)

# Files our style gates cover.
SRCS := buddy_mod.c buddy_pool.c buddy_alloc.c buddy_check.c buddy_fault.c \
	buddy_dma.c buddy_region.c \
	buddy_core.c buddy_core.h buddy_debugfs.c \
	buddy_internal.h buddy_compat.h include/buddy.h \
	tests/kunit/buddy_kunit.h tests/kunit/buddy_kunit_compat.h \
	tests/kunit/buddy_kunit_main.c tests/kunit/buddy_kunit_helpers.c \
	tests/kunit/core_kunit.c tests/kunit/pool_kunit.c \
	tests/kunit/stress_kunit.c tests/kunit/debugfs_kunit.c \
	tests/kunit/pcp_kunit.c tests/kunit/range_kunit.c \
	tests/kunit/exact_kunit.c tests/kunit/grow_kunit.c \
	tests/kunit/zero_kunit.c tests/kunit/kasan_kunit.c \
	tests/kunit/dma_kunit.c tests/kunit/contig_kunit.c \
	tests/buddy_test_mm.h tests/client/buddy_client.c \
	tests/bench/buddy_bench.c tests/soak/buddy_soak.c \
	tests/dma/buddy_edu_test.c

all: modules

# Out of tree the Kconfig symbols (see Kconfig) come from here: buddy.ko
# always, and for `make extra` the KUnit module (tests/kunit/, built in the
# same pass) where the kernel has KUnit.
HAS_KUNIT = $(shell grep -qE '^CONFIG_KUNIT=[ym]' $(KDIR)/.config 2>/dev/null && echo y)

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_BUDDY=m CONFIG_BUDDY_KUNIT_TEST= modules

# buddy.ko with the KUnit module, then the example client, the benchmark
# the soak and the edu test driver against buddy's Module.symvers.
extra:
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_BUDDY=m \
		CONFIG_BUDDY_KUNIT_TEST=$(if $(HAS_KUNIT),m) modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/client \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/bench \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/soak \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/dma \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers modules

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_BUDDY_KUNIT_TEST=m clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/client clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/bench clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/soak clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/dma clean
	-$(MAKE) -C tests/core clean

# CONFIG_MODULE_SIG_ALL= stops the headers' config from trying to sign
# with a key that only the distro's kernel build had.
install: modules
	@test -n "$(KREL)" || { echo "no kernel release in $(KDIR)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KREL) \
		CONFIG_BUDDY=m CONFIG_BUDDY_KUNIT_TEST= \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates \
		CONFIG_MODULE_SIG_ALL= DEPMOD=true modules_install
	install -D -m 0644 include/buddy.h $(SRCDIR)/include/buddy.h
	install -D -m 0644 Module.symvers $(SRCDIR)/$(KREL)/Module.symvers
	$(DEPMOD_CMD)

uninstall:
	@test -n "$(KREL)" || { echo "no kernel release in $(KDIR)"; exit 1; }
	rm -f $(DESTDIR)/lib/modules/$(KREL)/updates/buddy.ko*
	rm -f $(SRCDIR)/$(KREL)/Module.symvers
	rmdir $(SRCDIR)/$(KREL) 2>/dev/null || true
	if ! ls $(SRCDIR)/*/Module.symvers $(SRCDIR)/dkms.conf > /dev/null 2>&1; \
	then rm -f $(SRCDIR)/include/buddy.h; \
		rmdir $(SRCDIR)/include $(SRCDIR) 2>/dev/null || true; fi
	$(DEPMOD_CMD)

dkms:
	bash scripts/dkms.sh install $(KDIR)

dkms-remove:
	bash scripts/dkms.sh remove

# Build the KVER test kernel unless cached, then print its tree's path.
test-kernel:
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
# QEMU boot per Debian stock kernel in FLAVOURS and init_on_alloc setting
# in INIT (0: nothing zeroes; 1: Debian's default, every side zeroes).
# ARGS go to buddy_bench.ko (iters=N rounds=N seed=N); CHART=docs/bench.png
# also draws all boots' ratios in one chart there; REV=COMMIT builds the
# modules from that commit instead of the working tree.
FLAVOURS ?= 6.1 6.12
INIT ?= 0 1
bench:
	BENCH_CHART="$(CHART)" BENCH_REV="$(REV)" BENCH_INIT="$(INIT)" \
		bash scripts/bench-kernel.sh $(FLAVOURS) -- $(ARGS)

# Style and static checks: checkpatch --strict, kernel-doc, sparse, W=1,
# shellcheck; KTAP in build/lint/lint.ktap.
lint:
	bash scripts/lint.sh $(KVER)

run:
	bash scripts/run.sh $(KVER) $(ARGS)

shell:
	bash scripts/run.sh --shell $(KVER) $(ARGS)

test:
	bash scripts/test.sh

# A soak of MINUTES (default 10) on the KVER test kernel, 3 CPUs:
# tests/soak/buddy_soak.ko runs every API call from kthreads and hard IRQ
# on pools that come and go, beside debugfs readers, ctl writers, CPU
# hotplug and fault injection (tests/vm/soak.sh); ends with
# "N passed, N failed". make test runs 60 s of it.
MINUTES ?= 10
soak:
	KVER=$(KVER) bash scripts/soak.sh $(MINUTES)

# Prove the harness: one boot a case, each provoking one kernel report
# or one kind of failure that the boot's KTAP must show (about 15 min).
selftest:
	bash scripts/harness-selftest.sh --kver $(KVER) $(CASES)

.PHONY: all modules extra clean install uninstall dkms dkms-remove test-kernel check-core fuzz coverage \
	bench-core bench lint run shell test soak selftest

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# buddy's device pools against QEMU's edu device (-device edu), for guest
# scripts: source it after /root/guest-lib.sh and, with buddy.ko loaded,
# call `edu_suite EXPECT_IOMMU [PARAM=VALUE...]`. It loads
# /root/buddy_edu_test.ko (with the PARAMs, such as arrange=0), whose
# probe runs the DMA tests and leaves a device pool named "edu"; turns
# the module's results into checks; looks at the pool through debugfs;
# unbinds the driver, which must take the pool with it; unloads, and
# checks that the memory came back. Without an edu device it only says
# so, unless EDU_REQUIRED is set.
#
# The module is also a dma-buf importer for /dev/buddy's tests: with
# buddy.ko loaded, `edu_importer_load` binds it, running no tests, to the
# second edu (-device edu,dma_mask=0xffffffffffffffff) with a 64-bit DMA
# mask, and returns 0 once $EDU_IMPORT exists. A program that writes
# "FD SEED" (decimal) there with its own dma-buf FD has edu check and
# write it (see import_one() in tests/dma/buddy_edu_test.c); the write
# returns its length, or fails with the errno of the step that failed.
# "FD" alone only maps it, and reading the file gives the last import's
# sg entries and result.
# `edu_importer_unload` unbinds the device, which must remove the file,
# and unloads the module.

EDU_RESULTS=/sys/kernel/debug/buddy_edu_test/results
EDU_POOL=/sys/kernel/debug/buddy/edu
EDU_DRIVER=/sys/bus/pci/drivers/buddy_edu_test
EDU_IMPORT=/sys/kernel/debug/buddy_edu_test/import
# Pages the free count may drift by: per-CPU lists and KASAN's
# quarantine. A pool left behind (16 MiB) is 4096 pages.
EDU_SLACK=2048

# edu_find [N] - print the address of the Nth edu device (default the
# first), in PCI order, which is the order of QEMU's -device options; 1
# if there is none.
edu_find() {
	local d v n=${1:-1}

	for d in /sys/bus/pci/devices/*; do
		[ -r "$d/vendor" ] || continue
		read -r v < "$d/vendor"
		[ "$v" = 0x1234 ] || continue
		read -r v < "$d/device"
		[ "$v" = 0x11e8 ] || continue
		n=$((n - 1))
		[ $n -eq 0 ] || continue
		echo "${d##*/}"
		return 0
	done
	return 1
}

# edu_free_pages - free pages, those on the per-CPU lists included: a
# pool's chunks go back a page at a time, and many stop there.
edu_free_pages() {
	awk '$1 == "nr_free_pages" || $1 == "count:" { s += $2 }
		END { print s }' /proc/zoneinfo
}

# edu_results - the module's results file as checks, each "# " line a
# diagnostic of the failure that follows it.
edu_results() {
	local l diag='' n=0

	while IFS= read -r l; do
		case $l in
		'# '*) diag="$diag${diag:+; }${l#\# }" ;;
		'ok '*)
			l=${l#ok }
			t_ok "edu: ${l#* }"
			n=$((n + 1)) diag='' ;;
		'not ok '*)
			l=${l#not ok }
			t_fail "edu: ${l#* }" "${diag:-no diagnostic}"
			n=$((n + 1)) diag='' ;;
		esac
	done < $EDU_RESULTS
	[ $n -gt 0 ] || t_fail "edu: results" "none in $EDU_RESULTS"
}

# edu_ctl - allocate through the pool's ctl: the listing's fourth column
# is the block's device address, which must be within edu's reach.
edu_ctl() {
	local id bytes dma rest ok=''

	assert_ok sh -c "echo 'alloc 8K' > $EDU_POOL/ctl" || return 1
	read -r id _ bytes dma rest < $EDU_POOL/ctl
	case $dma in
	0x*) [ $((dma + bytes - 1)) -le $((EDU_MASK)) ] && ok=1 ;;
	esac
	if [ -n "$ok" ] && [ -z "$rest" ]; then
		t_ok "edu: ctl lists a device address within the mask"
	else
		t_fail "edu: ctl lists a device address within the mask" \
			"ctl: $(cat $EDU_POOL/ctl)"
	fi
	assert_ok sh -c "echo 'free $id' > $EDU_POOL/ctl"
	assert_eq "edu: ctl empty again" "" "$(cat $EDU_POOL/ctl)"
}

# edu_unload LABEL BDF BEFORE - unbind the driver from BDF, which must
# take its pool with it, with nothing warned since dmesg_mark; unload the
# module, and check that the free pages are back to BEFORE.
edu_unload() {
	local label=$1 bdf=$2 before=$3 after

	assert_ok sh -c "echo $bdf > $EDU_DRIVER/unbind"
	if [ -d $EDU_POOL ]; then
		t_fail "$label: unbind destroys the pool" "$EDU_POOL still there"
	else
		t_ok "$label: unbind destroys the pool"
	fi
	assert_eq "$label: no WARNING or BUG in the log" "" \
		"$(dmesg_since_mark | grep -E 'WARNING|BUG')"
	assert_ok rmmod buddy_edu_test
	after=$(edu_free_pages)
	if [ $((before - after)) -le $EDU_SLACK ]; then
		t_ok "$label: free memory is back"
	else
		t_fail "$label: free memory is back" \
			"$before free pages before, $after after"
	fi
}

# edu_suite EXPECT_IOMMU [PARAM=VALUE...] - all of the above; EXPECT_IOMMU
# is 1 if an IOMMU translates for the device, 0 if not, -1 to leave it
# unchecked. The PARAMs go to buddy_edu_test.ko.
edu_suite() {
	local bdf before bits expect=$1

	if ! bdf=$(edu_find); then
		if [ -n "${EDU_REQUIRED:-}" ]; then
			t_fail "edu: device present" \
				"no 1234:11e8 in /sys/bus/pci/devices"
		else
			echo "note: no edu device (QEMU -device edu), skipping its tests"
		fi
		return 0
	fi
	shift
	say "edu: device $bdf, expect_iommu=$expect $*"
	dmesg_mark
	before=$(edu_free_pages)
	assert_ok insmod /root/buddy_edu_test.ko "only=$bdf" \
		"expect_iommu=$expect" "$@" || return 1
	assert_ok test -e "$EDU_DRIVER/$bdf"
	edu_results
	# The mask the module set, as the pool's stats print it.
	read -r bits < /sys/module/buddy_edu_test/parameters/dma_bits
	EDU_MASK=$(printf '%#x' $(((1 << bits) - 1)))

	if assert_ok test -d $EDU_POOL; then
		assert_eq "edu: pool device" "$bdf" \
			"$(sed -n 's/^device: //p' $EDU_POOL/stats)"
		assert_eq "edu: pool dma_mask" "$EDU_MASK" \
			"$(sed -n 's/^dma_mask: //p' $EDU_POOL/stats)"
		assert_eq "edu: pool all free after the tests" \
			"$(sed -n 's/^size: //p' $EDU_POOL/stats)" \
			"$(sed -n 's/^free: //p' $EDU_POOL/stats)"
		edu_ctl
	fi

	edu_unload edu "$bdf" "$before"
}

# edu_contig_suite EXPECT_IOMMU SIZE [PARAM=VALUE...] - a contiguous pool
# of SIZE bytes for the second edu device, which must have edu's DMA mask
# wide open (-device edu,dma_mask=0xffffffffffffffff): its one block is
# one run of pages, and data moves to and from its last 4 KiB through the
# device; then the pool goes with the driver, and its memory comes back.
edu_contig_suite() {
	local bdf before expect=$1 size=$2

	shift 2
	if ! bdf=$(edu_find 2); then
		t_fail "edu-contig: second edu device present" \
			"QEMU needs -device edu,dma_mask=0xffffffffffffffff"
		return 0
	fi
	say "edu-contig: device $bdf, $size bytes, expect_iommu=$expect $*"
	dmesg_mark
	before=$(edu_free_pages)
	assert_ok insmod /root/buddy_edu_test.ko "only=$bdf" dma_bits=64 \
		"contig_size=$size" "expect_iommu=$expect" "$@" || return 1
	edu_results
	if assert_ok test -d $EDU_POOL; then
		assert_eq "edu-contig: pool is contiguous" yes \
			"$(sed -n 's/^contiguous: //p' $EDU_POOL/stats)"
		assert_eq "edu-contig: largest_block is all of it" "$size" \
			"$(sed -n 's/^largest_block: //p' $EDU_POOL/stats)"
		assert_eq "edu-contig: all free after the tests" "$size" \
			"$(sed -n 's/^free: //p' $EDU_POOL/stats)"
	fi
	edu_unload edu-contig "$bdf" "$before"
}

# edu_importer_load [PARAM=VALUE...] - with buddy.ko loaded, load
# /root/buddy_edu_test.ko with tests=0 (plus the PARAMs), bound only to
# the second edu device with dma_bits=64, as the dma-buf importer behind
# $EDU_IMPORT; its results (bound, edu answers) become checks. Returns 0
# once $EDU_IMPORT exists, 1 otherwise: failed checks, or (without
# EDU_REQUIRED) no such device, which it only notes. The device is
# EDU_IMPORTER, for edu_importer_unload.
edu_importer_load() {
	if ! EDU_IMPORTER=$(edu_find 2); then
		if [ -n "${EDU_REQUIRED:-}" ]; then
			t_fail "edu-import: second edu device present" \
				"QEMU needs -device edu,dma_mask=0xffffffffffffffff"
		else
			echo "note: no wide-mask edu device, no importer"
		fi
		return 1
	fi
	say "edu-import: device $EDU_IMPORTER $*"
	assert_ok insmod /root/buddy_edu_test.ko "only=$EDU_IMPORTER" \
		dma_bits=64 tests=0 "$@" || return 1
	edu_results
	assert_ok test -f $EDU_IMPORT
}

# edu_importer_unload - unbind the importer's device, which must remove
# $EDU_IMPORT, and unload the module.
edu_importer_unload() {
	assert_ok sh -c "echo $EDU_IMPORTER > $EDU_DRIVER/unbind"
	if [ -e $EDU_IMPORT ]; then
		t_fail "edu-import: unbind removes the import file" \
			"$EDU_IMPORT still there"
	else
		t_ok "edu-import: unbind removes the import file"
	fi
	assert_ok rmmod buddy_edu_test
}

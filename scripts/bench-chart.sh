#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bar chart of `make bench` ratios: buddy's ns per pair divided by each
# other allocator's, per workload, one panel per kernel. Below the dashed
# line at 1, buddy is faster. The y axis is logarithmic so that 0.5 and 2
# are equally far from 1.
#
# Usage: bench-chart.sh OUT.png TITLE RATIOS.dat [TITLE RATIOS.dat...]
# (RATIOS.dat as scripts/bench-kernel.sh writes it; "-" marks a gap)
set -euo pipefail

if [ $# -lt 3 ] || [ $(($# % 2)) -eq 0 ]; then
	echo "usage: bench-chart.sh OUT.png TITLE RATIOS.dat..." >&2
	exit 2
fi
OUT=$1
shift
mkdir -p "$(dirname "$OUT")"
# One y range for all panels, with room around the extreme bars.
range=$(for ((i = 2; i <= $#; i += 2)); do tail -n +2 "${!i}"; done |
	awk '{ for (i = 2; i <= NF; i++) if ($i != "-") {
			lo = (lo == "" || $i < lo) ? $i : lo
			hi = (hi == "" || $i > hi) ? $i : hi } }
	END { lo = lo == "" ? 1 : lo; hi = hi == "" ? 1 : hi
		printf "%g:%g", (lo / 1.5 < 0.5 ? lo / 1.5 : 0.5),
			(hi * 1.5 > 2 ? hi * 1.5 : 2) }')
{
	echo "set terminal pngcairo size 960,$((340 * $# / 2 + 20)) font ',10'"
	echo "set output '$OUT'"
	echo "set multiplot layout $(($# / 2)),1"
	echo "set style data histograms"
	echo "set style histogram clustered gap 1"
	echo "set style fill solid 0.85 border -1"
	echo "set datafile missing '-'"
	echo "set termoption noenhanced"
	echo "set logscale y"
	echo "set yrange [$range]"
	echo "set grid ytics"
	# Tilted, so that long workload names do not run into each other.
	echo "set xtics rotate by 30 right"
	echo "set key outside right top"
	echo "set ylabel 'buddy ns/pair / other ns/pair'"
	while [ $# -gt 0 ]; do
		echo "set title '$1 (lower is better for buddy)'"
		echo "plot for [i=2:4] '$2' using i:xtic(1) title columnhead(i), " \
			"1 with lines lc 'black' dt 2 notitle"
		shift 2
	done
	echo "unset multiplot"
} | gnuplot

#!/bin/bash
# Seal picture speed: pic_convert_file (Leptonica) against an ImageMagick pipeline doing
# comparable work (red extraction with fuzz, transparency, trim, resize, PNG), on
# (a) an A4 page at 300 dpi with a seal on it and (b) a ~1 MB JPEG crop of a seal at 600 dpi.
# usage: bench/seal_picture.sh [BUILD_DIR] [N]    (one core: taskset -c ${BENCH_CPU:-0})
# Wall time is noisy on a shared machine; INSTR=1 adds the instructions of one conversion
# (valgrind --tool=callgrind, process start included), which repeat exactly.
set -euo pipefail
B=${1:-build}
N=${2:-20}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
IM=$(command -v convert-im6.q16 || command -v magick || command -v convert)
PIN=""
command -v taskset >/dev/null && PIN="taskset -c ${BENCH_CPU:-0}"

"$B/tests/scangen" official "$D/a4.jpg" --seed 7 --page 2480x3508 --at 1700,2900 --quality 90 --signature
"$B/tests/scangen" official "$D/crop.jpg" --seed 8 --dpi 600 --page 1500x1400 --quality 95 --noise 14

im_ms() { # file: ms per run of the ImageMagick pipeline
    local t0 t1 i
    t0=$(date +%s%N)
    for ((i = 0; i < N; i++)); do
        $PIN "$IM" "$1" -fuzz 25% -fill none +opaque '#d02030' -trim +repage \
            -resize 800x800 -background none -gravity center -extent 800x800 \
            -fill '#e60012' -colorize 100 "$D/im.png"
    done
    t1=$(date +%s%N)
    echo "scale=1; ($t1 - $t0) / 1000000 / $N" | bc
}

instr() { # file: instructions of one sealkey conversion, or - without INSTR=1
    if [ "${INSTR:-0}" = 1 ] && command -v valgrind >/dev/null; then
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$B/tests/pic_bench" "$1" official 1 2>&1 |
            sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{ printf "%.0fM", $1 / 1e6 }'
    else
        echo -
    fi
}

printf '%-28s %10s %12s %12s %8s %8s\n' case bytes "sealkey ms" "IM ms" ratio instr
for c in a4 crop; do
    f="$D/$c.jpg"
    s=$($PIN "$B/tests/pic_bench" "$f" official "$N")
    m=$(im_ms "$f")
    printf '%-28s %10d %12s %12s %7.1fx %8s\n' "$c ($(identify -format %wx%h "$f" 2>/dev/null || echo ?))" \
        "$(stat -c %s "$f")" "$s" "$m" "$(echo "scale=2; $m / $s" | bc)" "$(instr "$f")"
done

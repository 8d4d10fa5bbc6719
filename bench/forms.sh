#!/bin/bash
# Forms bench: one render of each form through the CLI, then a batch of delivery notes
# (default 1000) as a station would print them: one `sealkey form delivery` per order, from the
# ledger. Usage: bench/forms.sh BUILD_DIR [COUNT]. Targets: under 200 KB a form (fonts
# embedded as subsets), under 250 ms a form through the CLI, 1000 notes under 3 minutes.
set -euo pipefail
B=${1:?usage: bench/forms.sh BUILD_DIR [COUNT]}
N=${2:-1000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
SK="$B/cli/sealkey"
T=$(mktemp -d "${TMPDIR:-/tmp}/forms-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/st" "$T/notes"
cp "$SRC/examples/station.json" "$T/st/"
O="$SRC/examples/orders.json"
"$B/tests/form_ledger_fixture" "$T/st/ledger.sqlite" JX2026-000101 JX2026-000102 JX2026-000103 \
    JX2026-000104

ms() { date +%s%N; }
# JX2026-000101: the legal representative's name has U+20BB7 (CJK Extension B).
for num in JX2026-000101 JX2026-000102; do
    for f in application authorization seal-collection delivery; do
        t0=$(ms)
        "$SK" form $f --orders "$O" --order $num --station "$T/st" -o "$T/$num-$f.pdf"
        t1=$(ms)
        size=$(stat -c %s "$T/$num-$f.pdf")
        printf '%s %-16s %6d bytes%s %6.1f ms (process included), fonts: %s\n' $num $f "$size" \
            "$([ "$size" -lt 204800 ] || echo ' OVER 200 KB')" \
            "$(echo "($t1 - $t0) / 1000000" | bc -l)" \
            "$(pdffonts "$T/$num-$f.pdf" | awk 'NR > 2 {sub(/^[A-Z]+\+/, "", $1); print $1}' | sort -u | paste -sd' ')"
    done
done
# In process (no start-up, fontconfig's configuration already loaded): test_form_render.
SOURCE_DIR=$SRC "$B/tests/test_form_render" | grep ' bytes ' | sed 's/^/in process: /'
orders=(JX2026-000102 JX2026-000103 JX2026-000104)
t0=$(ms)
for i in $(seq 1 "$N"); do
    "$SK" form delivery --orders "$O" --order "${orders[$((i % 3))]}" --station "$T/st" \
        --waybill "SF$((1000000000 + i))" -o "$T/notes/$i.pdf"
done
t1=$(ms)
printf 'delivery batch: %d notes in %.1f s (%.1f ms each), %s on disk\n' "$N" \
    "$(echo "($t1 - $t0) / 1000000000" | bc -l)" "$(echo "($t1 - $t0) / 1000000 / $N" | bc -l)" \
    "$(du -sh "$T/notes" | cut -f1)"

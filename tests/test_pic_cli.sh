# sealkey seal picture: the example scans, --explain, refusals with exit status 3, usage.
. "$SOURCE_DIR/tests/lib.sh"
G="$BUILD_DIR/tests/scangen"

expect_status 0 "help" -- "$SEALKEY" seal picture --help
expect_output '^usage: sealkey seal picture' "help text"
expect_status 2 "no kind" -- "$SEALKEY" seal picture "$T/x.jpg" "$T/x.png"
expect_status 2 "bad size" -- "$SEALKEY" seal picture --kind official --size-mm 4x "$T/x.jpg" "$T/x.png"

# Every example scan converts, and the picture is a readable PNG file, mode 0644.
for f in "$SOURCE_DIR"/examples/scans/*-official.jpg "$SOURCE_DIR"/examples/scans/*-legal-rep.jpg; do
    case $f in *-official.jpg) k=official ;; *) k=legal-rep ;; esac
    out="$T/$(basename "$f" .jpg).png"
    expect_status 0 "$(basename "$f")" -- "$SEALKEY" seal picture --kind $k "$f" "$out"
    check "$(basename "$out") is a PNG" sh -c "head -c 8 '$out' | od -An -tx1 | grep -q '89 50 4e 47'"
    check "$(basename "$out") mode 0644" test "$(stat -c %a "$out")" = 644
done

expect_status 0 "explain" -- "$SEALKEY" seal picture --kind official --explain \
    "$SOURCE_DIR/examples/scans/JX2026-000102-official.jpg" "$T/e.png"
expect_output '^roundness: +0\.9' "explain roundness"
expect_output '^ink strength: ' "explain ink strength"
expect_output '^resolution: +1[0-9]\.[0-9] px/mm across 40 mm' "explain px/mm"
expect_output '^decision: +accepted' "explain decision"

# The size from a station's project profile (ZFCG: 42 mm official, 18 mm legal rep).
make_station "$T/st"
expect_status 0 "station size" -- "$SEALKEY" seal picture --kind legal-rep --station "$T/st" \
    --project ZFCG --explain "$SOURCE_DIR/examples/scans/JX2026-000101-legal-rep.jpg" "$T/s.png"
expect_output 'px/mm across 18 mm' "project size used"
expect_status 3 "unknown project" -- "$SEALKEY" seal picture --kind official --station "$T/st" \
    --project NOPE "$SOURCE_DIR/examples/scans/JX2026-000101-official.jpg" "$T/s.png"
expect_output "no project 'NOPE'" "unknown project named"

# Refusals: exit 3 (input), the reason on stderr, no output file.
"$G" blank "$T/blank.jpg" --seed 1
"$G" two "$T/two.jpg" --seed 2
"$G" official "$T/faint.jpg" --seed 3 --faint
"$G" official "$T/tiny.jpg" --seed 4 --dpi 100
"$G" legal-rep "$T/square.jpg" --seed 5 --rotate 3
"$G" huge "$T/huge.png"
"$G" official "$T/a4.jpg" --seed 6 --page 2480x3508 --at 1700,2900 --quality 95 --signature
refuse() { # kind file pattern
    rm -f "$T/r.png"
    expect_status 3 "refuse $2" -- "$SEALKEY" seal picture --kind "$1" --explain "$T/$2" "$T/r.png"
    expect_output "$3" "reason for $2"
    expect_output '^decision: +refused' "explained refusal of $2"
    check "no picture for $2" test ! -e "$T/r.png"
}
refuse official blank.jpg 'blank.jpg: no red seal impression found'
refuse official two.jpg 'two.jpg: 2 seal-sized red regions found \(expected 1\): crop the scan to one seal'
refuse official faint.jpg 'faint.jpg: seal ink too faint'
refuse official tiny.jpg 'tiny.jpg: seal too small: .* px/mm, needs 8'
refuse official square.jpg 'square.jpg: the seal is not round'
cp "$SOURCE_DIR/examples/scans/JX2026-000101-official.jpg" "$T/round.jpg"
refuse legal-rep round.jpg 'round.jpg: the seal is not square'
refuse official huge.png 'huge.png: image is 7000 x 6000 \(42.0 megapixels\), the limit is 40'
refuse official a4.jpg 'a4.jpg: file is [0-9]+ bytes, the limit is 1048576'
expect_status 0 "A4 page with --max-bytes" -- "$SEALKEY" seal picture --kind official \
    --max-bytes 8000000 "$T/a4.jpg" "$T/a4.png"

# BMP as ImageMagick and Windows write it (issue 11, defect 13): an 8-bit palette BMP3 (which
# ImageMagick run-length encodes: RLE8), 32 bits with a BITMAPV5 header (BI_BITFIELDS) and
# 16 bits 5-6-5. Each gives the seal the lossless PNG gives: the 32-bit one exactly the same
# picture, the quantised ones the same seal box and the ink strength within 5.
"$G" official "$T/seal.png" --seed 8
convert "$T/seal.png" -type palette BMP3:"$T/p8.bmp"
convert "$T/seal.png" -define bmp:format=bmp4 -alpha on "$T/v5.bmp"
convert "$T/seal.png" -define bmp:subtype=RGB565 "$T/565.bmp"
u() { od -An -tu"$1" -j"$2" -N"$1" "$3" | tr -d ' '; } # little-endian field: bytes offset file
bmp_header() { echo "$(u 4 14 "$1")/$(u 2 28 "$1")/$(u 4 30 "$1")"; } # header size/bits/compression
check "p8.bmp is 8-bit RLE8 ($(bmp_header "$T/p8.bmp"))" test "$(bmp_header "$T/p8.bmp")" = 40/8/1
check "v5.bmp is V5 32-bit bit fields ($(bmp_header "$T/v5.bmp"))" test "$(bmp_header "$T/v5.bmp")" = 124/32/3
check "565.bmp is 16-bit bit fields ($(bmp_header "$T/565.bmp"))" test "$(bmp_header "$T/565.bmp")" = 124/16/3
measure() { # file: the --explain lines that describe the seal found
    expect_status 0 "$1" -- "$SEALKEY" seal picture --kind official --max-bytes 4000000 --explain \
        "$T/$1" "$T/$1.png"
    grep -v '^scan:' "$T/out" > "$T/$1.explain"
}
field() { sed -n "s/^$1: *//p" "$T/$2.explain"; }
strength() { field 'ink strength' "$1" | cut -d' ' -f1; }
measure seal.png
for f in p8.bmp v5.bmp 565.bmp; do
    measure $f
    check "$f: same seal box as the PNG ($(field 'seal box' $f))" \
        test "$(field 'seal box' $f)" = "$(field 'seal box' seal.png)"
    d=$(( $(strength $f) - $(strength seal.png) ))
    check "$f: ink strength $(strength $f) within 5 of the PNG's" test "${d#-}" -le 5
done
check "v5.bmp: the same measures as the PNG" cmp -s "$T/v5.bmp.explain" "$T/seal.png.explain"
check "v5.bmp: the same picture as the PNG" cmp -s "$T/v5.bmp.png" "$T/seal.png.png"
# A variant that is not read is named.
python3 - "$T/v5.bmp" "$T/embedded.bmp" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[30:34] = (5).to_bytes(4, "little")  # BI_PNG: a PNG inside the BMP
open(sys.argv[2], "wb").write(d)
PY
rm -f "$T/r.png"
expect_status 3 "PNG inside a BMP" -- "$SEALKEY" seal picture --kind official --max-bytes 4000000 \
    "$T/embedded.bmp" "$T/r.png"
expect_output 'embedded.bmp: a BMP holding a PNG \(compression 5\) is not supported' "embedded PNG named"
check "no picture for embedded.bmp" test ! -e "$T/r.png"

# Decoding work (issue 11, defect 12): a progressive JPEG of 5,000 near-empty scans (67 KB)
# is refused from its markers, before libjpeg passes over the image 5,000 times. The limit is
# 100: 100 scans are decoded (then refused as blank paper), 101 are not. timeout: a regression
# fails instead of hanging.
scans() { python3 "$SOURCE_DIR/tests/scangen/jpeg_scans.py" "$T/$1" --scans "$2"; }
scans scans5000.jpg 5000
scans scans101.jpg 101
scans scans100.jpg 100
rm -f "$T/r.png"
expect_status 3 "5000 scans" -- timeout 20 "$SEALKEY" seal picture --kind official --explain \
    "$T/scans5000.jpg" "$T/r.png"
expect_output 'scans5000.jpg: the JPEG has 5000 scans; at most 100 are read' "5000 scans refused"
expect_output '^decision: +refused' "explained refusal of 5000 scans"
check "no picture for scans5000.jpg" test ! -e "$T/r.png"
refuse official scans101.jpg 'scans101.jpg: the JPEG has 101 scans; at most 100 are read'
refuse official scans100.jpg 'scans100.jpg: no red seal impression found'
# A real progressive JPEG (ImageMagick's, libjpeg's 10-scan script) is read.
convert "$T/seal.png" -interlace Plane -quality 90 "$T/progressive.jpg"
expect_status 0 "progressive JPEG" -- "$SEALKEY" seal picture --kind official "$T/progressive.jpg" "$T/p.png"
finish

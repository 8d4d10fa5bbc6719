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
finish

#!/usr/bin/env bash
# The SKF floor benchmark makes real tokens on the soft SKF device and reports its rate.
source "$SOURCE_DIR/tests/lib.sh"

export SKFSOFT_DIR=$T/skf
mkdir -p "$SKFSOFT_DIR/key1" "$SKFSOFT_DIR/key2"
expect_status 0 "floor x2" -- "$BUILD_DIR/bench/skf_floor" "$SKFSOFT_MODULE" 2
expect_output '^skf floor 2 tokens in [0-9.]+ s = [0-9.]+ tokens/s$' "rate line"
# Both devices now carry the application, a signing key, a certificate and two seal files.
for dev in key1 key2; do
    check "$dev: signing key" test -s "$SKFSOFT_DIR/$dev/apps/SEALKEY/con/sign/sign.key"
    check "$dev: certificate" test -s "$SKFSOFT_DIR/$dev/apps/SEALKEY/con/sign/sign.cer"
    check "$dev: official seal" test -s "$SKFSOFT_DIR/$dev/apps/SEALKEY/files/official.esl"
done
# No blank device is left: a third token is refused, naming what was looked for.
expect_status 1 "no blank device" -- "$BUILD_DIR/bench/skf_floor" "$SKFSOFT_MODULE" 1
expect_output 'no blank device \(no application\) among 2 present' "names the missing blank device"
expect_status 2 "bad N refused" -- "$BUILD_DIR/bench/skf_floor" "$SKFSOFT_MODULE" 0
finish

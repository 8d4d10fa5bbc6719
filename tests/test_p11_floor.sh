#!/usr/bin/env bash
# The raw PKCS#11 floor benchmark runs on a throwaway store and reports its rate.
source "$SOURCE_DIR/tests/lib.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" \
    -subj /CN=floor -days 1 -outform DER -out "$T/c.der" 2>/dev/null
check "test certificate made" test -s "$T/c.der"
expect_status 0 "floor ec-p256 x2" -- \
    "$BUILD_DIR/bench/p11_floor" "$SOFTHSM2_MODULE" ec-p256 2 "$T/c.der"
expect_output '^floor ec-p256 2 tokens in [0-9.]+ s = [0-9.]+ tokens/s$' "rate line"
expect_status 0 "floor rsa-2048 x1" -- \
    "$BUILD_DIR/bench/p11_floor" "$SOFTHSM2_MODULE" rsa-2048 1 "$T/c.der"
expect_status 2 "bad algorithm refused" -- \
    "$BUILD_DIR/bench/p11_floor" "$SOFTHSM2_MODULE" sm2 1 "$T/c.der"
expect_status 1 "not a certificate" -- \
    "$BUILD_DIR/bench/p11_floor" "$SOFTHSM2_MODULE" ec-p256 1 "$T/k.pem"
# The tokens are really there: 3 initialised (2 + 1) plus the blank one.
expect_status 0 "softhsm2-util lists them" -- softhsm2-util --show-slots
n=$(grep -c 'Label: *floor-' "$T/out")
check "3 floor tokens in the store (found $n)" test "$n" -eq 3
finish

#!/usr/bin/env bash
# Cross-check with OpenSC: the key pair and certificate that test_tok writes carry one
# CKA_ID, as pkcs11-tool (and Firefox, XCA) pair them.
source "$SOURCE_DIR/tests/lib.sh"

SK_TOK_KEEP_STORE=1 "$BUILD_DIR/tests/test_tok" >"$T/run" 2>&1
check "test_tok on the shared store" test $? -eq 0
slot=$(sed -n 's/^slot=//p' "$T/run")
id=$(sed -n 's/^key_id=//p' "$T/run")
check "test_tok printed slot and key id" test -n "$slot" -a -n "$id"

expect_status 0 "pkcs11-tool lists the objects" -- \
    pkcs11-tool --module "$SOFTHSM2_MODULE" --slot "$slot" --login --pin user-pin-0815 --list-objects
expect_output "Private Key Object; EC" "EC private key listed"
expect_output "Certificate Object" "certificate listed"
n=$(grep -Ec "^ *ID: *$id\$" "$T/out")
check "private key, public key and certificate share ID $id (found $n)" test "$n" -eq 3
# The certificate pkcs11-tool pairs with that ID is ours.
awk -v id="$id" '/Object;/{obj=$0} $1=="ID:" && $2==id {print obj}' "$T/out" >"$T/paired"
check "the paired certificate is the user's" grep -q "Certificate Object" "$T/paired"
# Without login, the private key stays hidden and the public objects remain.
expect_status 0 "pkcs11-tool without login" -- \
    pkcs11-tool --module "$SOFTHSM2_MODULE" --slot "$slot" --list-objects
expect_no_output "Private Key Object" "private key hidden without login"
expect_output "Data object" "data object is public"
finish

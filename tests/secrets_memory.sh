#!/usr/bin/env bash
# No secret left in memory: each command that handles a PIN or passphrase (ca init, issue with
# a chosen and with a random user PIN, seal make, crl, batch, token unblock; ca init, issue and
# crl with the CA key on an HSM; ca request, ca import and cert-import of issue 14) runs with
# distinctive secrets from env: and file: sources and
# SEALKEY_TEST_STOP_BEFORE_EXIT=1, which stops it (SIGSTOP) once the command has returned,
# before exit. tests/memscan.c then searches every writable mapping of the stopped process
# (heap, stack, anonymous maps, .data/.bss) for each secret, and the test wants no hit. The
# process is non-dumpable, so reading its memory takes root or CAP_SYS_PTRACE: without them
# the test is skipped (77). Batch workers are not scanned, only the batch process.
source "$SOURCE_DIR/tests/lib.sh"
require_test_hooks  # SEALKEY_TEST_STOP_BEFORE_EXIT
: "${MEMSCAN:?set by tests/secrets.cmake}"
if [ "${SEALKEY_VALGRIND:-0}" = 1 ]; then
    echo "secrets_memory: skipped under valgrind (the process scanned would be valgrind's)"
    exit 77
fi

SO_PIN='SoPin-MEMCANARY-4kP9zR'
CA_PASS='CaPass-MEMCANARY-phrase-Qm82'
# User PINs are digits; 16 of them (the random ones too, by the policy below) so that a hit
# in megabytes of memory is never a chance match.
USER_PIN='7305918264730591'
# Each command gets in its environment only the variables it reads (see run): a variable it
# does not read is left alone, and would rightly be found. One such is given on purpose, the
# control: the scan must find it in every run, or it did not really look.
CONTROL='Control-MEMCANARY-unread-Zt5'
SK_MEM_SO_PIN=$SO_PIN SK_MEM_USER_PIN=$USER_PIN SK_MEM_CA_PASS=$CA_PASS SK_MEM_CONTROL=$CONTROL
export SEALKEY_OPERATOR=memory-tester

# Under AddressSanitizer the sanitizer runtime copies /proc/self/environ into an anonymous
# mapping of its own before main (sanitizer_common's GetEnv, sanitizer_linux.cpp) and keeps
# it for the life of the process, out of sealkey's reach. In the ASan build only, an env:
# secret's "NAME=value" entry in an anonymous mapping is therefore tolerated; the process's
# own environment block (on the stack) and every other copy are still failures.
asan_env_copy='^hit [a-z_]+ \[anon:[0-9a-f]+\] \+0x[0-9a-f]+ \(environment entry SK_MEM_[A-Z_]+\)$'
case $(ldd "$SEALKEY" 2>/dev/null) in *libasan*) ;; *) asan_env_copy='^$' ;; esac

st=$T/station
mkdir -p "$st" "$T/secrets" "$T/logs"
umask 077
printf '%s\n' "$CA_PASS" > "$T/secrets/ca-pass"
printf '%s\n' "$SO_PIN" > "$T/secrets/so-pin"
umask 022
sed -e 's|"so_pin": *"[^"]*"|"so_pin": "env:SK_MEM_SO_PIN"|' \
    -e "s|\"passphrase\": *\"[^\"]*\"|\"passphrase\": \"file:$T/secrets/ca-pass\"|" \
    -e 's|"user_pin_min_digits": *[0-9]*|"user_pin_min_digits": 16|' \
    -e 's|"user_pin_max_digits": *[0-9]*|"user_pin_max_digits": 16|' \
    "$SOURCE_DIR/examples/station.json" > "$st/station.json"
check "station.json names env:/file: sources" grep -q 'env:SK_MEM_SO_PIN' "$st/station.json"

# run NAME SECRET-NAMES ENV-VARS -- command...: run the command with the SK_MEM_ variables
# named (export is a builtin: no value on any argv), stopped before it exits; scan its memory
# for the named secrets (SO CA USER, and MAILERS: the random PINs written so far).
run() {
    local name=$1 which=$2 vars=$3 pid state rc i
    shift 4
    (
        # shellcheck disable=SC2086
        export SK_MEM_CONTROL $vars SEALKEY_TEST_STOP_BEFORE_EXIT=1
        exec "$@" >"$T/logs/$name.out" 2>&1
    ) &
    pid=$!
    for i in $(seq 1200); do
        state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
        case $state in T | Z | "") break ;; esac
        sleep 0.1
    done
    if [ "$state" != T ]; then
        wait "$pid"
        fail "$name: did not stop before exit (exit $?, state '$state')"
        sed 's/^/    /' "$T/logs/$name.out" >&2
        return
    fi
    {
        echo "control $CONTROL"
        case " $which " in *" SO "*) echo "so_pin $SO_PIN" ;; esac
        case " $which " in *" CA "*) echo "ca_passphrase $CA_PASS" ;; esac
        case " $which " in *" USER "*) echo "chosen_user_pin $USER_PIN" ;; esac
        case " $which " in *" MAILERS "*)
            find "$st/out" "$T/hsm-station/out" -name 'pin-mailer*.txt' 2>/dev/null | sort | while IFS= read -r m; do
                echo "user_pin_of:${m#"$T"/} $(sed -n 's/^user PIN: *//p' "$m")"
            done ;;
        esac
    } > "$T/secrets/list"
    "$MEMSCAN" "$pid" < "$T/secrets/list" > "$T/logs/$name.scan" 2>&1
    rc=$?
    kill -CONT "$pid"
    wait "$pid"
    local cmd_rc=$?
    if [ "$rc" -eq 77 ]; then
        echo "secrets_memory: skipped, cannot read a non-dumpable process's memory (needs root or CAP_SYS_PTRACE): $(cat "$T/logs/$name.scan")"
        exit 77
    fi
    check "$name: exit 0" test "$cmd_rc" -eq 0 || sed 's/^/    /' "$T/logs/$name.out" >&2
    echo "== $name" >&2
    grep -v '^hit ' "$T/logs/$name.scan" | sed 's/^/    /' >&2
    check "$name: the scan finds the unread control variable" \
        grep -Eq '^control: [1-9][0-9]* hit' "$T/logs/$name.scan"
    grep '^hit ' "$T/logs/$name.scan" | grep -v '^hit control ' |
        grep -Ev "$asan_env_copy" > "$T/logs/$name.hits"
    if [ "$rc" -le 1 ] && [ ! -s "$T/logs/$name.hits" ]; then
        ok
    else
        fail "$name: secrets left in memory (memscan exit $rc):"
        sed 's/^/    /' "$T/logs/$name.hits" >&2
    fi
}

orders=$SOURCE_DIR/examples/orders.json
run ca-init "CA" "" -- "$SEALKEY" ca init --station "$st"
run issue-chosen "SO CA USER" "SK_MEM_SO_PIN SK_MEM_USER_PIN" -- "$SEALKEY" issue --station "$st" --orders "$orders" \
    --order JX2026-000101 --user-pin env:SK_MEM_USER_PIN
# SO PIN from a file and the CA passphrase from the environment this time.
sed -i "s|\"so_pin\": *\"[^\"]*\"|\"so_pin\": \"file:$T/secrets/so-pin\"|" "$st/station.json"
run issue-random "SO CA USER MAILERS" "SK_MEM_CA_PASS" -- "$SEALKEY" issue --station "$st" --orders "$orders" \
    --order JX2026-000102 --ca-pass env:SK_MEM_CA_PASS
check "a PIN mailer for the random PIN" test -s "$st/out/JX2026-000102/pin-mailer.txt"
run seal-make "CA" "" -- "$SEALKEY" seal make --station "$st" --orders "$orders" \
    --order JX2026-000101 --kind official -o "$T/official.esl"
run crl "CA" "SK_MEM_CA_PASS" -- "$SEALKEY" crl --station "$st" --ca-pass env:SK_MEM_CA_PASS
clone_orders 1 MEM GCJS "$T/o"
run batch "SO CA USER MAILERS" "" -- "$SEALKEY" batch --station "$st" --orders "$T/o/orders.json" --jobs 1
# token unblock (issue 13): the SO PIN, and the new random PIN it writes to a new mailer.
run token-unblock "SO MAILERS" "" -- "$SEALKEY" token unblock --station "$st" --order JX2026-000102 --force
check "an unblock PIN mailer" test -s "$st/out/JX2026-000102/pin-mailer-unblock-1.txt"

# The CA key on an HSM (a second SoftHSM token): its user PIN is the CA secret, and the PIN
# goes through C_Login of the HSM's module.
HSM_PIN='HsmPin-MEMCANARY-8Jd3'
SK_MEM_HSM_PIN=$HSM_PIN
softhsm2-util --init-token --free --label sealkey-ca --so-pin 87654321 --pin "$HSM_PIN" >/dev/null
hst=$T/hsm-station
mkdir -p "$hst"
sed 's|"passphrase": *"[^"]*"|"passphrase": "env:SK_MEM_HSM_PIN", "key_uri": "pkcs11:token=sealkey-ca;object=issuing%20CA"|' \
    "$st/station.json" > "$hst/station.json"
check "the HSM station names the key" grep -q key_uri "$hst/station.json"
CA_PASS=$HSM_PIN
run hsm-ca-init "CA" "SK_MEM_HSM_PIN" -- "$SEALKEY" ca init --station "$hst"
run hsm-issue "SO CA MAILERS" "SK_MEM_HSM_PIN" -- "$SEALKEY" issue \
    --station "$hst" --orders "$orders" --order JX2026-000101
run hsm-crl "CA" "SK_MEM_HSM_PIN" -- "$SEALKEY" crl --station "$hst"

# seal sign (issue 15): the passphrase of the seal holder's SM2 key file, from the environment,
# on an SM2 station whose fixture (tests/test_ses_sign.c) made the key, certificate and seal.
KEY_PASS='KeyPass-MEMCANARY-sm2-7Hq'
SK_MEM_KEY_PASS=$KEY_PASS
sst=$T/sm2-station
mkdir -p "$sst" "$T/sm2fx"
umask 077
printf '%s\n' "$KEY_PASS" > "$T/sm2fx/key-pass"
umask 022
sed -e 's|"key_algorithm": *"[^"]*"|"key_algorithm": "sm2"|g' "$st/station.json" > "$sst/station.json"
"$SEALKEY" ca init --station "$sst" >/dev/null 2>&1 && cp "$T/secrets/ca-pass" "$sst/ca-pass" &&
    sed -i 's|"code": *"GCJS"|"code": "GMSM"|' "$sst/station.json"
check "SM2 fixture" "$BUILD_DIR/tests/test_ses_sign" --make-fixture "$sst" "$T/sm2fx"
printf 'a document\n' > "$T/doc.txt"
CA_PASS=$KEY_PASS
run seal-sign "CA" "SK_MEM_KEY_PASS" -- "$SEALKEY" seal sign --seal "$T/sm2fx/seal.esl" \
    --cert "$T/sm2fx/org.pem" --key "$T/sm2fx/org.key" --key-pass env:SK_MEM_KEY_PASS \
    --in "$T/doc.txt" --out "$T/doc.ses"
# Issue 14 (docs/pki.md): ca request and ca import with the passphrase, and an external-
# signing station finishing a token (the SO PIN, the CA passphrase for the seal maker, the
# new random PIN) with cert-import. A test root made with plain openssl signs.
CA_PASS=$(head -1 "$T/secrets/ca-pass")
off=$T/offline
mkdir -p "$off"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$off/root.key" \
    -subj "/CN=Memory Root" -days 3650 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -out "$off/root.crt" 2>/dev/null
openssl genpkey -algorithm SM2 -out "$off/sm2.key" 2>/dev/null
openssl req -x509 -new -key "$off/sm2.key" -sm3 -sigopt distid:1234567812345678 -days 3650 \
    -subj "/CN=Memory SM2 Root" -addext basicConstraints=critical,CA:TRUE -out "$off/sm2.crt" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$off/ca.ext"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' > "$off/leaf.ext"
pst=$T/production
mkdir -p "$pst"
cp "$st/station.json" "$pst/station.json"
run ca-request "CA" "" -- "$SEALKEY" ca request --station "$pst"
openssl x509 -req -in "$pst/ca/issuing.csr" -CA "$off/root.crt" -CAkey "$off/root.key" -days 365 \
    -extfile "$off/ca.ext" -out "$off/issuing.crt" 2>/dev/null
openssl x509 -req -in "$pst/ca/seal-maker.csr" -CA "$off/sm2.crt" -CAkey "$off/sm2.key" -sm3 \
    -sigopt distid:1234567812345678 -vfyopt distid:1234567812345678 -days 365 \
    -extfile "$off/leaf.ext" -out "$off/seal-maker.crt" 2>/dev/null
run ca-import "CA" "" -- "$SEALKEY" ca import --station "$pst" --cert "$off/issuing.crt" \
    --root "$off/root.crt" --seal-cert "$off/seal-maker.crt" --seal-root "$off/sm2.crt"
xst=$T/external
mkdir -p "$xst"
sed 's|"passphrase": "|"signing": "external", "passphrase": "|' "$st/station.json" > "$xst/station.json"
"$SEALKEY" ca request --station "$xst" >/dev/null 2>&1 || fail "external: ca request"
openssl x509 -req -in "$xst/ca/seal-maker.csr" -CA "$off/sm2.crt" -CAkey "$off/sm2.key" -sm3 \
    -sigopt distid:1234567812345678 -vfyopt distid:1234567812345678 -days 365 \
    -extfile "$off/leaf.ext" -out "$off/x-seal-maker.crt" 2>/dev/null
# The CA system's own issuing CA, whose key it keeps.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$off/ext.key" \
    -subj "/CN=Memory External CA" -out "$off/ext.csr" 2>/dev/null
openssl x509 -req -in "$off/ext.csr" -CA "$off/root.crt" -CAkey "$off/root.key" -days 365 \
    -extfile "$off/ca.ext" -out "$off/ext.crt" 2>/dev/null
"$SEALKEY" ca import --station "$xst" --cert "$off/ext.crt" --root "$off/root.crt" \
    --seal-cert "$off/x-seal-maker.crt" --seal-root "$off/sm2.crt" >/dev/null 2>&1 || fail "external: ca import"
"$SEALKEY" issue --station "$xst" --orders "$orders" --order JX2026-000101 >/dev/null 2>&1 || fail "external: key made"
openssl x509 -req -in "$xst/out/JX2026-000101/request.csr" -CA "$off/ext.crt" -CAkey "$off/ext.key" \
    -days 30 -extfile "$off/leaf.ext" -out "$off/leaf.crt" 2>/dev/null
st=$xst   # MAILERS: the PIN mailers of this station
run cert-import "SO CA MAILERS" "" -- "$SEALKEY" cert-import --station "$xst" --orders "$orders" "$off/leaf.crt"
check "cert-import made the PIN mailer" test -s "$xst/out/JX2026-000101/pin-mailer.txt"
finish

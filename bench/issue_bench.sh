#!/usr/bin/env bash
# Tokens per second on SoftHSM: sealkey vs the stock-tool pipeline vs the raw PKCS#11 floor.
#   bench/issue_bench.sh [N]        (default N=50; EC P-256 and RSA-2048, one run)
# sealkey:  one `sealkey issue` per order (ledger, CSR, certificate, chain, read-back verify)
# stock:    softhsm2-util --init-token; pkcs11-tool --keypairgen; openssl req with the libp11
#           engine; openssl x509 -req; pkcs11-tool --write-object (certificate + CA certificate)
# floor:    bench/p11_floor: only the token work through raw PKCS#11, in one process
# Each method gets a fresh SoftHSM store, since SoftHSM's cost grows with its token count.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-50}
"$here/scripts/setup.sh" "$here/build" >/dev/null
sealkey=$here/build/cli/sealkey
floor=$here/build/bench/p11_floor
module=/usr/lib/softhsm/libsofthsm2.so
W=$(mktemp -d /tmp/sealkey-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

now() { date +%s.%N; }
rate() { echo "scale=2; $1 / ($3 - $2)" | bc; }

# A station with its CA (the stock pipeline signs with the same CA key file).
st=$W/station
mkdir -p "$st"
cp "$here/examples/station.json" "$st/station.json"
umask 077; echo bench-so-pin > "$st/so-pin"; echo bench-ca-pass > "$st/ca-pass"; umask 022
eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-ca")"
"$sealkey" ca init --station "$st" >/dev/null
cp -r "$here/examples/scans" "$W/scans"   # the orders name their scans relative to the file

# N orders per algorithm, cloned from the first example order with new numbers.
make_orders() { # PROJECT PREFIX
    local proj=$1 prefix=$2 first
    first=$(awk 'BEGIN{d=0} /^  \{/{d=1} d{print} /^  \}/{exit}' "$here/examples/orders.json" | sed '$ s/},$/}/')
    {
        echo "["
        for i in $(seq -w 1 "$N"); do
            [ "$i" = "$(seq -w 1 "$N" | head -1)" ] || echo ","
            echo "$first" | sed -e "s/\"order_number\": \"[^\"]*\"/\"order_number\": \"$prefix-$i\"/" \
                -e "s/\"project_code\": \"[^\"]*\"/\"project_code\": \"$proj\"/"
        done
        echo "]"
    }
}

bench_sealkey() { # ALG PROJECT
    local alg=$1 proj=$2
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-sk-$alg")"
    local prefix
    prefix=$(echo "B$alg" | tr a-z A-Z)
    make_orders "$proj" "$prefix" > "$W/orders-$alg.json"
    local t0 t1
    t0=$(now)
    for i in $(seq -w 1 "$N"); do
        "$sealkey" issue --station "$st" --orders "$W/orders-$alg.json" --order "$prefix-$i" >/dev/null
    done
    t1=$(now)
    rate "$N" "$t0" "$t1"
}

bench_stock() { # ALG KEYTYPE
    local alg=$1 keytype=$2
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-stock-$alg")"
    cat > "$W/engine.cnf" <<CNF
openssl_conf = init
[init]
engines = engines
[engines]
pkcs11 = pkcs11
[pkcs11]
engine_id = pkcs11
dynamic_path = /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so
MODULE_PATH = $module
init = 0
CNF
    cat > "$W/ext.cnf" <<CNF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://crl.demo-ca.example/issuing.crl
CNF
    openssl x509 -in "$st/ca/issuing.crt" -outform DER -out "$W/issuing.der"
    local t0 t1 label
    t0=$(now)
    for i in $(seq -w 1 "$N"); do
        label=S$alg-$i
        softhsm2-util --init-token --free --label "$label" --so-pin 12345678 --pin 24681357 >/dev/null
        pkcs11-tool --module "$module" --token-label "$label" --login --pin 24681357 \
            --keypairgen --key-type "$keytype" --id 01 --label "$label" >/dev/null 2>&1
        OPENSSL_CONF=$W/engine.cnf openssl req -new -engine pkcs11 -keyform engine \
            -key "pkcs11:token=$label;object=$label;type=private;pin-value=24681357" \
            -subj "/C=CN/O=Bench Unit $i/CN=Bench Unit $i" -out "$W/req.pem" 2>/dev/null
        openssl x509 -req -in "$W/req.pem" -CA "$st/ca/issuing.crt" -CAkey "$st/ca/issuing.key" \
            -passin "file:$st/ca-pass" -set_serial "0x$(openssl rand -hex 16)" -days 365 \
            -extfile "$W/ext.cnf" -outform DER -out "$W/cert.der" 2>/dev/null
        pkcs11-tool --module "$module" --token-label "$label" --login --pin 24681357 \
            --write-object "$W/cert.der" --type cert --id 01 --label "$label" >/dev/null 2>&1
        pkcs11-tool --module "$module" --token-label "$label" --login --pin 24681357 \
            --write-object "$W/issuing.der" --type cert --id 02 --label "CA" >/dev/null 2>&1
    done
    t1=$(now)
    rate "$N" "$t0" "$t1"
}

bench_floor() { # ALG
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-floor-$1")"
    "$floor" "$module" "$1" "$N" "$W/issuing.der" | sed -n 's/.*= \([0-9.]*\) tokens\/s.*/\1/p'
}

printf "%-10s %10s %10s %10s %14s %14s\n" "algorithm" "sealkey" "stock" "floor" "floor/sealkey" "sealkey/stock"
for spec in "ec-p256 GCJS EC:prime256v1 ec-p256" "rsa-2048 ZFCG rsa:2048 rsa-2048"; do
    set -- $spec
    s=$(bench_sealkey "$1" "$2")
    k=$(bench_stock "$1" "$3")
    f=$(bench_floor "$4")
    printf "%-10s %8s/s %8s/s %8s/s %13sx %13sx\n" "$1" "$s" "$k" "$f" \
        "$(echo "scale=2; $f / $s" | bc)" "$(echo "scale=2; $s / $k" | bc)"
done
echo "(N=$N tokens per cell, tokens per second; SoftHSM $(softhsm2-util --version))"

# Shared by the bench/ scripts: a station with its CA, cloned orders, the stock-tool pipeline.
# Needs: here (checkout), W (scratch dir). Sets: sealkey, module, st.
sealkey=$here/build/cli/sealkey
module=/usr/lib/softhsm/libsofthsm2.so
st=$W/station

now() { date +%s.%N; }
rate() { echo "scale=2; $1 / ($3 - $2)" | bc; }

# bench_station: a station with a CA, its secrets in files, the example scans beside it.
bench_station() {
    mkdir -p "$st"
    cp "$here/examples/station.json" "$st/station.json"
    umask 077; echo bench-so-pin > "$st/so-pin"; echo bench-ca-pass > "$st/ca-pass"; umask 022
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-ca")"
    "$sealkey" ca init --station "$st" >/dev/null
    [ -d "$W/scans" ] || cp -r "$here/examples/scans" "$W/scans"
}

# make_orders PROJECT PREFIX N: N copies of the first example order, numbered PREFIX-0001...
make_orders() {
    local proj=$1 prefix=$2 n=$3 first i
    first=$(awk '/^  \{/{d=1} d{print} /^  \}/{exit}' "$here/examples/orders.json" | sed '$ s/},$/}/')
    {
        echo "["
        for i in $(seq -f "%05g" 1 "$n"); do
            [ "$i" = 00001 ] || echo ","
            echo "$first" | sed -e "s/\"order_number\": \"[^\"]*\"/\"order_number\": \"$prefix-$i\"/" \
                -e "s/\"project_code\": \"[^\"]*\"/\"project_code\": \"$proj\"/"
        done
        echo "]"
    }
}

# stock_issue LABEL KEYTYPE: one token the stock-tool way (what a station scripts today):
# softhsm2-util --init-token; pkcs11-tool --keypairgen; openssl req with the libp11 engine;
# openssl x509 -req; pkcs11-tool --write-object for the certificate and the issuing CA.
stock_setup() {
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
}
stock_issue() {
    local label=$1 keytype=$2
    softhsm2-util --init-token --free --label "$label" --so-pin 12345678 --pin 24681357 >/dev/null
    pkcs11-tool --module "$module" --token-label "$label" --login --pin 24681357 \
        --keypairgen --key-type "$keytype" --id 01 --label "$label" >/dev/null 2>&1
    OPENSSL_CONF=$W/engine.cnf openssl req -new -engine pkcs11 -keyform engine \
        -key "pkcs11:token=$label;object=$label;type=private;pin-value=24681357" \
        -subj "/C=CN/O=Bench Unit/CN=Bench Unit" -out "$W/req.pem" 2>/dev/null
    openssl x509 -req -in "$W/req.pem" -CA "$st/ca/issuing.crt" -CAkey "$st/ca/issuing.key" \
        -passin "file:$st/ca-pass" -set_serial "0x$(openssl rand -hex 16)" -days 365 \
        -extfile "$W/ext.cnf" -outform DER -out "$W/cert.der" 2>/dev/null
    pkcs11-tool --module "$module" --token-label "$label" --login --pin 24681357 \
        --write-object "$W/cert.der" --type cert --id 01 --label "$label" >/dev/null 2>&1
    pkcs11-tool --module "$module" --token-label "$label" --login --pin 24681357 \
        --write-object "$W/issuing.der" --type cert --id 02 --label "CA" >/dev/null 2>&1
}

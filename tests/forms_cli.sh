# sealkey form ... and sealkey seal extract-form: what a user sees in the PDFs (pdftotext),
# that each page renders (pdftoppm), fonts embedded as subsets (pdffonts), Chinese paper
# conventions, modes, refusals, and that templates are data.
. "$SOURCE_DIR/tests/lib.sh"
O="$SOURCE_DIR/examples/orders.json"
# The forms' footer date: today in Beijing (UTC+8).
today=$(date -u -d '+8 hours' '+%Y年%-m月%-d日')
make_station "$T/st"
form() { "$SEALKEY" form "$@" --orders "$O" --station "$T/st"; }
text() { pdftotext -layout "$@" - 2>/dev/null; }

# Every page of a PDF renders without an error or warning from poppler.
renders() {
    local pdf=$1 pages
    pages=$(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/{print $2}')
    pdftoppm -r 50 -png "$pdf" "$T/r" >"$T/pp" 2>&1 && [ ! -s "$T/pp" ] &&
        [ "$(ls "$T"/r-*.png | wc -l)" -eq "${pages:-0}" ] && rm -f "$T"/r-*.png
}

expect_status 0 "help" -- "$SEALKEY" form --help
expect_output '^usage: sealkey form' "help text"
expect_status 2 "no form" -- "$SEALKEY" form
expect_status 2 "unknown form" -- "$SEALKEY" form invoice --orders "$O" --order X -o "$T/x.pdf"
expect_status 2 "no output" -- form application --order JX2026-000102

# The application form: every order field, the order number at the top-left.
expect_status 0 "application" -- form application --order JX2026-000102 -o "$T/app.pdf"
check "application mode 0644" test "$(stat -c %a "$T/app.pdf")" = 644
text "$T/app.pdf" >"$T/out"
for s in 数字证书用户申请表 九江浔阳路桥工程有限公司 91360400MA38LQ5C63 陈志远 360402196801151217 \
    刘芳 360421199107073020 13979210102 fp@xunyang-road.example 江西省九江市浔阳区长虹大道56号 \
    工程建设项目审批 '¥220.00（支付宝）' 'ECC P-256' '单位（公章）' \
    '《江西演示数字证书认证中心数字证书服务协议》' 线上业务专用表格 "于$today自动生成"; do
    expect_output "$s" "application shows $s"
done
# Top-left: the first 70 mm x 20 mm of the page (points at 72 dpi).
pdftotext -f 1 -l 1 -x 0 -y 0 -W 200 -H 57 "$T/app.pdf" - >"$T/out" 2>&1
expect_output 'JX2026-000102' "order number at the top-left"
check "application renders" renders "$T/app.pdf"

expect_status 0 "application ZFCG" -- form application --order JX2026-000103 -o "$T/app3.pdf"
text "$T/app3.pdf" >"$T/out"
expect_output 'RSA 2048' "algorithm in words"
expect_no_output 'rsa-2048|ec-p256' "no machine algorithm names"

# A character no installed font has (U+30000, CJK Extension G, beyond GB 18030-2022): refused,
# naming order, field and code point, and no PDF.
sed '0,/"name": "王𠮷"/s//"name": "王\\ud880\\udc00"/' "$O" >"$T/unprintable.json"
expect_status 3 "U+30000" -- "$SEALKEY" form application --orders "$T/unprintable.json" \
    --station "$T/st" --order JX2026-000101 -o "$T/101.pdf"
expect_output 'order JX2026-000101: legal_rep.name: character U\+30000 cannot be printed' "unprintable"
check "no PDF for it" test ! -e "$T/101.pdf"

expect_status 0 "authorization" -- form authorization --order JX2026-000102 -o "$T/auth.pdf"
text "$T/auth.pdf" >"$T/out"
for s in 法人授权委托书 陈志远 360402196801151217 刘芳 360421199107073020 委托有效期 '法定代表人（签章或亲笔签名）'; do
    expect_output "$s" "authorization shows $s"
done
check "authorization renders" renders "$T/auth.pdf"

# Seal collection: the station's sizes per project (GCJS 40/20, ZFCG 42/18).
expect_status 0 "seal-collection" -- form seal-collection --order JX2026-000103 -o "$T/sc.pdf"
text "$T/sc.pdf" >"$T/out"
for s in 电子签章采集表 JX2026-000103 赣州章贡信息技术有限公司 '直径 42 mm' '边长 18 mm' 无杂质; do
    expect_output "$s" "seal-collection shows $s"
done
check "seal-collection renders" renders "$T/sc.pdf"
expect_status 0 "seal-collection GCJS" -- form seal-collection --order JX2026-000102 -o "$T/sc2.pdf"
text "$T/sc2.pdf" >"$T/out"
expect_output '直径 40 mm' "GCJS official size"

# extract-form on the unstamped form: the QR code is read, then the empty box is refused;
# another order's number is refused first.
pdftoppm -r 300 -png -singlefile "$T/sc.pdf" "$T/scan"
expect_status 3 "wrong order" -- "$SEALKEY" seal extract-form --order JX2026-000102 -o "$T" "$T/scan.png"
expect_output 'the form is for order JX2026-000103, not JX2026-000102' "order mismatch"
expect_status 3 "empty boxes" -- "$SEALKEY" seal extract-form --explain -o "$T" "$T/scan.png"
expect_output 'form: +seal-collection.v1, order JX2026-000103, seals 42 mm / 18 mm' "explain form"
expect_output 'official seal box' "names the box"
expect_status 3 "not a form" -- "$SEALKEY" seal extract-form "$SOURCE_DIR/examples/scans/JX2026-000102-official.jpg"
expect_output 'no seal-collection QR code' "not a form"

# Delivery note: from the ledger; waybill blank unless given; PIN page per policy.
"$BUILD_DIR/tests/form_ledger_fixture" "$T/st/ledger.sqlite" JX2026-000102 || fail "ledger fixture"
expect_status 4 "not issued" -- form delivery --order JX2026-000104 -o "$T/d4.pdf"
expect_output 'order JX2026-000104: not issued yet' "not issued"
expect_status 0 "delivery" -- form delivery --order JX2026-000102 -o "$T/d.pdf" --waybill SF9988776655
check "delivery mode 0644" test "$(stat -c %a "$T/d.pdf")" = 644
check "delivery renders" renders "$T/d.pdf"
text "$T/d.pdf" >"$T/out"
for s in 数字证书交付单 JX2026-000102 九江浔阳路桥工程有限公司 刘芳 长虹大道56号 SH00004702 \
    5E0000020A1B2C3D '2026年3月6日 至 2027年3月6日' 36010000000002 SF9988776655 数字证书密码函 \
    另行交付 '江西演示数字证书认证中心｜工程建设项目审批'; do
    expect_output "$s" "delivery shows $s"
done
check "delivery has 2 pages" sh -c "pdfinfo '$T/d.pdf' | grep -q '^Pages: *2'"
expect_status 0 "delivery no waybill" -- form delivery --order JX2026-000102 -o "$T/d0.pdf"
text "$T/d0.pdf" >"$T/out"
expect_no_output SF9988776655 "no waybill printed"

# The station allows printing the PIN: it is read from the order's PIN mailer, mode 0600.
sed -i 's/"print_user_pin": false/"print_user_pin": true/' "$T/st/station.json"
expect_status 3 "no PIN mailer" -- form delivery --order JX2026-000102 -o "$T/dp.pdf"
expect_output 'pin-mailer.txt' "names the PIN mailer"
mkdir -p "$T/st/out/JX2026-000102"
printf 'sealkey PIN mailer\norder:        JX2026-000102\nuser PIN:     73910264\n' >"$T/st/out/JX2026-000102/pin-mailer.txt"
expect_status 0 "delivery with PIN" -- form delivery --order JX2026-000102 -o "$T/dp.pdf"
check "PIN note mode 0600" test "$(stat -c %a "$T/dp.pdf")" = 600
text -f 2 -l 2 "$T/dp.pdf" >"$T/out"
expect_output '73910264' "PIN on page 2"
expect_no_output 另行交付 "no 'delivered separately'"
text -f 1 -l 1 "$T/dp.pdf" >"$T/out"
expect_no_output '73910264' "PIN not on page 1"

# Every example order gets all four forms (issue 17), U+20BB7 of order 101 included, and
# order 101 again with U+20BB7 in every name and the address: pdftotext finds each field's text,
# pdffonts shows every font embedded as a subset, each form under 200 KB.
make_station "$T/all"
sed -e 's/李晓梅/李𠮷梅/g' -e 's/江西赣鄱建设/江西𠮷鄱建设/g' -e 's/丰和中大道/丰𠮷中大道/' "$O" >"$T/rare.json"
python3 - "$O" "$T/rare.json" >"$T/fields" <<'PY'
import json, sys
# ORDERS<TAB>ORDER<TAB>FORM<TAB>TEXT: what each form prints of each order.
forms = {
    "application": ["number", "unit.name", "unit.uscc", "legal_rep.name", "legal_rep.id_number",
                    "handler.name", "handler.id_number", "handler.mobile", "invoice.title",
                    "invoice.tax_number", "invoice.email", "recipient.name", "recipient.mobile",
                    "recipient.address"],
    "authorization": ["number", "unit.name", "unit.uscc", "legal_rep.name", "legal_rep.id_number",
                      "handler.name", "handler.id_number", "handler.mobile"],
    "seal-collection": ["number", "unit.name", "unit.uscc"],
    "delivery": ["number", "unit.name", "unit.uscc", "recipient.name", "recipient.mobile",
                 "recipient.address"],
}
for path in sys.argv[1:]:
    for o in json.load(open(path)):
        for form, fields in forms.items():
            for f in fields:
                v = o["order_number"] if f == "number" else o[f.split(".")[0]][f.split(".")[1]]
                print(f"{path}\t{o['order_number']}\t{form}\t{v}")
PY
orders=$(python3 -c 'import json,sys; print(" ".join(o["order_number"] for o in json.load(open(sys.argv[1]))))' "$O")
"$BUILD_DIR/tests/form_ledger_fixture" "$T/all/ledger.sqlite" $orders || fail "ledger fixture (all)"
check "fields listed" test "$(wc -l <"$T/fields")" -ge 200
check "U+20BB7 among them" grep -q '𠮷' "$T/fields"
n=0
for src in "$O" "$T/rare.json"; do
    # rare.json differs from the examples only in order JX2026-000101.
    [ "$src" = "$O" ] && nums=$orders || nums=JX2026-000101
    for num in $nums; do
        for f in application authorization seal-collection delivery; do
            pdf="$T/all/$num-$f.pdf"
            "$SEALKEY" form $f --orders "$src" --order "$num" --station "$T/all" -o "$pdf" \
                >"$T/out" 2>&1 || { fail "$num $f ($src): $(cat "$T/out")"; continue; }
            n=$((n + 1))
            size=$(stat -c %s "$pdf")
            check "$num $f is $size bytes, under 200 KB" test "$size" -lt 204800
            # Every font: embedded (emb yes) and a subset (sub yes, ABCDEF+ name).
            pdffonts "$pdf" 2>&1 | awk 'NR > 2' >"$T/fonts"
            check "$num $f has fonts" test -s "$T/fonts"
            check "$num $f: every font an embedded subset: $(cat "$T/fonts")" \
                sh -c "! grep -Ev '^[A-Z]{6}\+[^ ]+ .* yes +yes +yes +[0-9]+ +[0-9]+\$' '$T/fonts'"
            pdftotext "$pdf" - 2>/dev/null | tr -d ' \n' >"$T/text"
            awk -F'\t' -v s="$src" -v o="$num" -v f="$f" '$1 == s && $2 == o && $3 == f {print $4}' \
                "$T/fields" | while IFS= read -r want; do
                grep -qF -- "${want// /}" "$T/text" && echo ok || echo "FAIL: $num $f ($src) lacks '$want'"
            done >"$T/found"
            check "$num $f ($src) shows every field: $(grep FAIL "$T/found")" \
                sh -c "! grep -q FAIL '$T/found' && grep -q ok '$T/found'"
        done
    done
done
check "28 forms made ($n)" test "$n" -eq 28
pdftotext "$T/all/JX2026-000101-application.pdf" - >"$T/out" 2>&1
expect_output '李𠮷梅' "rare character in handler.name"
expect_output '江西𠮷鄱建设工程有限公司' "rare character in unit.name"
expect_output '王𠮷' "rare character in legal_rep.name"

# Layout is data: a copied, edited template changes the form; a typo in it is named.
cp -r "$SOURCE_DIR/templates" "$T/tpl"
sed -i 's/"订单编号：${order.number}"/"申请编号 ${order.number}"/' "$T/tpl/application.json"
expect_status 0 "own templates" -- form application --order JX2026-000102 -o "$T/a2.pdf" --templates "$T/tpl"
text "$T/a2.pdf" >"$T/out"
expect_output '申请编号 JX2026-000102' "edited template used"
sed -i '0,/"size": 12/s/"size": 12/"sise": 12/' "$T/tpl/application.json"
expect_status 3 "template typo" -- form application --order JX2026-000102 -o "$T/a3.pdf" --templates "$T/tpl"
expect_output "application.json: page 1 item 1: unknown key 'sise'" "typo named"

finish

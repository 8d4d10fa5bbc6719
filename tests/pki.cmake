# Issue 14, joining the CA's own PKI: revocation status served by `openssl ocsp`, an issuing
# CA signed by an offline root made with plain openssl.
sk_add_sh_test(pki_ocsp pki_ocsp.sh)
sk_add_sh_test(pki_offline_root pki_offline_root.sh)
sk_add_sh_test(pki_external pki_external.sh)
sk_add_c_test(test_ledger_external SOURCES test_ledger_external.c LIBS sk_issuer)
# A policy CA between the offline root and the station's issuing CA (ca import --chain).
sk_add_sh_test(pki_policy_ca pki_policy_ca.sh)
# An SM2 issuing CA signed by an offline SM2 root (ca request --key-alg sm2).
sk_add_sh_test(pki_sm2_ca pki_sm2_ca.sh)

# Seals (GB/T 38540): parse/verify the real ofdrw files, byte flips, build + sign with an SM2
# maker; the CLI and OpenSSL's own command line cross-check in ses_cli.sh.
sk_add_c_test(test_ses SOURCES test_ses.c LIBS sk_seal)
sk_add_sh_test(ses_cli ses_cli.sh)
# GB/T 38540 document signatures (SES_Signature) through the signer callback (issue 15); the
# CLI and OpenSSL's cross-check are in sm2_seal.sh, whose fixture this program also makes.
sk_add_c_test(test_ses_sign SOURCES test_ses_sign.c LIBS sk_issuer)
sk_add_sh_test(sm2_seal sm2_seal.sh)

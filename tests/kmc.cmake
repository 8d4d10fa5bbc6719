# The key management centre stand-in: enveloped SM2 encryption key pairs, escrow (issue 15).
sk_add_c_test(test_kmc SOURCES test_kmc.c LIBS sk_issuer)

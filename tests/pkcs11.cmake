# pkcs11/ layer: token access on a throwaway SoftHSM store.
sk_add_c_test(test_tok SOURCES test_tok.c LIBS sk_pkcs11)
sk_add_c_test(test_tok_uri SOURCES test_tok_uri.c LIBS sk_pkcs11)
sk_add_sh_test(test_tok_tool test_tok_tool.sh)
sk_add_sh_test(test_p11_floor test_p11_floor.sh)

# Issue 13 (items 1-5): modules the p11-kit way, URIs, slow tokens in parallel, key attributes.
sk_add_sh_test(p11_modules p11_modules.sh)
sk_add_sh_test(p11_parallel p11_parallel.sh)
set_property(TEST p11_parallel APPEND PROPERTY ENVIRONMENT P11FAULT_SO=$<TARGET_FILE:p11fault>)
sk_add_c_test(test_readers SOURCES test_readers.c LIBS sk_issuer sk_pkcs11)

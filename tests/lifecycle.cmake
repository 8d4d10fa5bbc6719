# Issue 11, the certificate lifecycle: reissue, revocation, failed attempts and other orders'
# live tokens, through the fault-injecting module (tests/p11fault, built by faults.cmake).
sk_add_sh_test(lifecycle lifecycle.sh)
set_property(TEST lifecycle APPEND PROPERTY ENVIRONMENT P11FAULT_SO=$<TARGET_FILE:p11fault>)

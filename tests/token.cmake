# Issue 13, item 6: sealkey token show|unblock|hold|release|lost, through the fault-injecting
# module (tests/p11fault) for its PIN lockout, which SoftHSM lacks.
sk_add_sh_test(token_service token_service.sh)
set_property(TEST token_service APPEND PROPERTY ENVIRONMENT P11FAULT_SO=$<TARGET_FILE:p11fault>)

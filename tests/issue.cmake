# Issuance end to end on SoftHSM, checked with tools we did not write.
sk_add_sh_test(issue_examples issue_examples.sh)
sk_add_sh_test(issue_refusals issue_refusals.sh)
sk_add_sh_test(issue_hsm_ca issue_hsm_ca.sh)
sk_add_c_test(test_ledger SOURCES test_ledger.c LIBS sk_issuer)
sk_add_sh_test(issue_seals issue_seals.sh)
sk_add_sh_test(issue_order_match issue_order_match.sh)

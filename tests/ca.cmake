# The station CA's integrity and the trust it gives: concurrent `ca init`, CA files checked
# on every open, leaf validity within the CA's, CRLs for the whole chain, seals verified
# against the station's anchors.
sk_add_sh_test(ca_init_race ca_init_race.sh)
sk_add_sh_test(ca_validity_cap ca_validity_cap.sh)
sk_add_sh_test(crl_chain crl_chain.sh)
sk_add_sh_test(seal_verify_trust seal_verify_trust.sh)
# SM2 hierarchy and GM/T 0015 organisation profile, issued from a CSR (issue 15).
sk_add_c_test(test_ca_sm2 SOURCES test_ca_sm2.c LIBS sk_issuer)

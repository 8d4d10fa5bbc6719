# The station CA's integrity and the trust it gives: concurrent `ca init`, CA files checked
# on every open, leaf validity within the CA's, CRLs for the whole chain, seals verified
# against the station's anchors.
sk_add_sh_test(ca_init_race ca_init_race.sh)
sk_add_sh_test(ca_validity_cap ca_validity_cap.sh)
sk_add_sh_test(crl_chain crl_chain.sh)
sk_add_sh_test(seal_verify_trust seal_verify_trust.sh)

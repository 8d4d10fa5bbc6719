# Who may change a station (issue 11): owner and mode checks, the warning on a secret others
# can read, a station made the usual way (umask 022) passing them, output links refused.
sk_add_sh_test(station_trust station_trust.sh)

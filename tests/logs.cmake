# The system log of batch runs (cli/cli_log.c, util/sk_syslog.c): a datagram socket of the
# test's own stands for /dev/log.
sk_add_sh_test(logs logs.sh)

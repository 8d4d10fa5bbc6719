# No PIN or passphrase in argv, outputs, ledger, audit log or station files; no core dumps;
# file modes (tests/secrets_leak.sh).
sk_add_sh_test(secrets_leak secrets_leak.sh)

# No secret left in a process's memory once its command is done (tests/secrets_memory.sh):
# memscan searches the writable memory of a sealkey stopped before exit. Skipped (77) where
# a non-dumpable process's memory may not be read (neither root nor CAP_SYS_PTRACE).
add_executable(memscan memscan.c)
sk_add_sh_test(secrets_memory secrets_memory.sh)
set_property(TEST secrets_memory APPEND PROPERTY ENVIRONMENT MEMSCAN=$<TARGET_FILE:memscan>)
set_property(TEST secrets_memory PROPERTY SKIP_RETURN_CODE 77)

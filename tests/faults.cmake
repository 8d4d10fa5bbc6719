# Fault injection: libp11fault.so (tests/p11fault) stands in for SoftHSM and makes chosen
# PKCS#11 calls fail or slow down; the tests check what sealkey does then.
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/p11fault ${CMAKE_BINARY_DIR}/tests/p11fault)

# The wrapper's own behaviour, loaded the two ways pkcs11/tok_module.c loads a module.
sk_add_c_test(test_faults SOURCES test_faults.c LIBS sk_pkcs11)
add_dependencies(test_faults p11fault)
set_property(TEST test_faults APPEND PROPERTY ENVIRONMENT P11FAULT_SO=$<TARGET_FILE:p11fault>)

# sealkey issue on a token that fills up, is pulled out, refuses the PIN, or is slow.
sk_add_sh_test(faults_issue faults_issue.sh)
set_property(TEST faults_issue APPEND PROPERTY ENVIRONMENT P11FAULT_SO=$<TARGET_FILE:p11fault>)

# sealkey batch stops a worker at the step limit of station.json "timeouts" and resumes
# the order on the next run.
sk_add_sh_test(batch_timeouts batch_timeouts.sh)
set_property(TEST batch_timeouts APPEND PROPERTY ENVIRONMENT P11FAULT_SO=$<TARGET_FILE:p11fault>)

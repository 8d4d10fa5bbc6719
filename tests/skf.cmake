# skf/: the SKF (GM/T 0016) backend against tests/skfsoft/, the software SKF device.
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/skfsoft ${CMAKE_BINARY_DIR}/tests/skfsoft)

find_package(Threads REQUIRED)
sk_add_c_test(test_skf SOURCES test_skf.c LIBS sk_skf Threads::Threads)
add_dependencies(test_skf skfsoft)
set_property(TEST test_skf APPEND PROPERTY ENVIRONMENT SKFSOFT_MODULE=$<TARGET_FILE:skfsoft>)

# The SKF floor benchmark (bench/skf_floor.c) on two soft devices.
sk_add_sh_test(test_skf_floor test_skf_floor.sh)
add_dependencies(skf_floor skfsoft)
set_property(TEST test_skf_floor APPEND PROPERTY ENVIRONMENT SKFSOFT_MODULE=$<TARGET_FILE:skfsoft>)

# Issuance onto soft SKF devices end to end (issue 15): sealkey issue on a token_api "skf"
# station, OpenSSL's checks, the ledger, reconcile, refused station.json combinations.
sk_add_sh_test(skf_issue skf_issue.sh)
set_property(TEST skf_issue APPEND PROPERTY ENVIRONMENT SKFSOFT_MODULE=$<TARGET_FILE:skfsoft>)

# Batch, crash resume at every step and faults (pulled device, wrong PIN, full device) on
# soft SKF devices (issue 15).
sk_add_sh_test(skf_batch skf_batch.sh)
set_property(TEST skf_batch APPEND PROPERTY ENVIRONMENT SKFSOFT_MODULE=$<TARGET_FILE:skfsoft>)

# Station mode on soft SKF devices: SKF_WaitForDevEvent insertions start issuances (issue 15).
sk_add_sh_test(skf_station skf_station.sh)
set_property(TEST skf_station APPEND PROPERTY ENVIRONMENT SKFSOFT_MODULE=$<TARGET_FILE:skfsoft>)

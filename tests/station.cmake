# Station mode: sealkey station against a private pcscd with the vpcd virtual reader and the
# vicc card emulator (scripts/packages.d/station.txt), SoftHSM tokens behind the reader.
sk_add_sh_test(station_vpcd station_vpcd.sh)
if(TARGET p11fault)
  set_property(TEST station_vpcd APPEND PROPERTY ENVIRONMENT P11FAULT_SO=$<TARGET_FILE:p11fault>)
endif()
set_tests_properties(station_vpcd PROPERTIES TIMEOUT 120)
# station_watch: prints what pcsc_watch sees (reader and card events), for looking at a
# station's readers by hand; built with the tests, not run by ctest.
add_executable(station_watch station_watch.c)
target_link_libraries(station_watch PRIVATE sk_pkcs11 sk_util)

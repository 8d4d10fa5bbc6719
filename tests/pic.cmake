# Seal pictures: the synthetic scan generator and the scan -> picture pipeline's tests.
add_library(scangen_lib STATIC ${CMAKE_CURRENT_SOURCE_DIR}/scangen/scangen.c)
target_link_libraries(scangen_lib PUBLIC PkgConfig::LEPT m)
add_executable(scangen ${CMAKE_CURRENT_SOURCE_DIR}/scangen/scangen_main.c)
target_link_libraries(scangen PRIVATE scangen_lib)
sk_add_c_test(test_pic SOURCES test_pic.c LIBS sk_seal scangen_lib)
sk_add_c_test(test_pic_decode SOURCES test_pic_decode.c LIBS sk_seal)
sk_add_sh_test(test_pic_cli test_pic_cli.sh)
# Timing loop for bench/seal_picture.sh (not a test).
add_executable(pic_bench ${CMAKE_CURRENT_SOURCE_DIR}/pic_bench.c)
set_target_properties(pic_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
target_link_libraries(pic_bench PRIVATE sk_seal sk_util)

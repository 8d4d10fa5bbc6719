# Fuzz regression: every kept crash input (tests/fuzz-regress/<harness>/) and every committed
# seed (fuzz/corpus/<harness>/) replayed through its harness, in the normal build (gcc).
foreach(h ${SK_FUZZ_HARNESSES})
  add_test(NAME fuzz_regress_${h}
           COMMAND fuzz_regress_${h} ${CMAKE_SOURCE_DIR}/tests/fuzz-regress/${h}
                   ${CMAKE_SOURCE_DIR}/fuzz/corpus/${h})
  set_tests_properties(fuzz_regress_${h} PROPERTIES ENVIRONMENT "${SK_TEST_ENV}" TIMEOUT 300
                       LABELS fuzz)
endforeach()

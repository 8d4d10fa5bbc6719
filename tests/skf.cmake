# skf/: the SKF (GM/T 0016) backend against tests/skfsoft/, the software SKF device.
add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/skfsoft ${CMAKE_BINARY_DIR}/tests/skfsoft)

# The installed package as its users get it: install into a fresh prefix, then
# build and run one consumer with CMake's find_package and one with pkg-config.
add_test(NAME package_test
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/package/run.sh ${PROJECT_BINARY_DIR} ${CMAKE_CXX_COMPILER}
                 "${CMAKE_CXX_COMPILER_LAUNCHER}")
set_tests_properties(package_test PROPERTIES TIMEOUT 600)

# The `meowmx` command line, run as a child process against a fresh database per test.
meowmx_add_test(cli_test ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc)
set_tests_properties(cli_test PROPERTIES TIMEOUT 120)

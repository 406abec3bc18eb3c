# The `meowmx` command line, run as a child process against a fresh database per test.
meowmx_add_test(cli_test ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc)
set_tests_properties(cli_test PROPERTIES TIMEOUT 120)
# The command line under faults and signals: outputs and --exec commands that
# cannot work, SIGINT/SIGTERM while reading stdin or waiting for the migration
# lock, read --follow across a server restart, one-line errors.
meowmx_add_test(cli_faults_test ${CMAKE_CURRENT_LIST_DIR}/cli_faults_test.cc)
set_tests_properties(cli_faults_test PROPERTIES TIMEOUT 180)

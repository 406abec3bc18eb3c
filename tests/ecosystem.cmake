# Fitting the ecosystem: libpq's conventions (PG* environment, application
# names, targets named from libpq's answers), passwords hidden by structure in
# every DSN form, uuid5 pinned, and the command line explaining itself (help,
# --version, status, progress), run through the built binary.
meowmx_add_test(ecosystem_test
  ${CMAKE_CURRENT_LIST_DIR}/ecosystem_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/ecosystem_cli_test.cc)
# The DSN and uuid5 helpers are internal: the test reaches them like the CLI does.
target_include_directories(ecosystem_test PRIVATE ${PROJECT_SOURCE_DIR}/lib/src)
set_tests_properties(ecosystem_test PROPERTIES TIMEOUT 300)

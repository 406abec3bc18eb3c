# The event store through the C++ API, in one binary (one throwaway cluster):
# store_test.cc           round trips, load options, version check, atomicity,
#                         idempotent retries, the Aggregate helper, set-up;
# store_concurrency_test.cc  many clients racing on one aggregate;
# store_read_test.cc      the global log: paging, categories, late commits.
meowmx_add_test(store_test
  ${CMAKE_CURRENT_LIST_DIR}/store_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/store_concurrency_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/store_read_test.cc
  LIBS spdlog::spdlog)
# The set-up test compares meowmx.migrations with the files in sql/.
target_compile_definitions(store_test PRIVATE MEOWMX_SQL_DIR="${PROJECT_SOURCE_DIR}/sql")
set_tests_properties(store_test PROPERTIES TIMEOUT 120)

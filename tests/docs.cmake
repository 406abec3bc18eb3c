# The docs as code: the README's C++ example is examples/quickstart/main.cc,
# which CI compiles; this test fails when the two drift apart.
add_test(NAME readme_example_test
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/docs/readme_example.sh ${PROJECT_SOURCE_DIR})

# Every ```sh session of README.md and docs/*.md, run as written against a dev
# cluster of its own (see the script for what runs and what does not).
add_test(NAME docs_sessions_test
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/docs/run_sessions.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
set_tests_properties(docs_sessions_test PROPERTIES TIMEOUT 600)

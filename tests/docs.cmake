# The docs as code: the README's C++ example is examples/quickstart/main.cc,
# which CI compiles; this test fails when the two drift apart.
add_test(NAME readme_example_test
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/docs/readme_example.sh ${PROJECT_SOURCE_DIR})

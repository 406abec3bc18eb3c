# The MySQL binlog source against a real MariaDB that each binary starts for
# itself (tests/support/servers/mariadb_server.h): the C++ API, the server
# settings it refuses in a binary of their own (a second server), the command
# line, and lost connections (a killed binlog dump, a server that stops answering).
meowmx_add_test(mysql_test ${CMAKE_CURRENT_LIST_DIR}/mysql_test.cc)
set_tests_properties(mysql_test PROPERTIES TIMEOUT 300)
meowmx_add_test(mysql_cli_test ${CMAKE_CURRENT_LIST_DIR}/mysql_cli_test.cc)
set_tests_properties(mysql_cli_test PROPERTIES TIMEOUT 300)
meowmx_add_test(mysql_connection_test ${CMAKE_CURRENT_LIST_DIR}/mysql_connection_test.cc)
set_tests_properties(mysql_connection_test PROPERTIES TIMEOUT 120)

# Turns one SQL file that is not a migration into a C++ source, so the library
# runs exactly the file in the repository without reading it at run time.
# Inputs: SQL_FILE, OUTPUT, HEADER (declares the function), FUNCTION (its name
# in meowmx::internal, returning the text as a std::string_view).
file(READ "${SQL_FILE}" sql)
file(RELATIVE_PATH source "${CMAKE_CURRENT_LIST_DIR}/.." "${SQL_FILE}")
set(body "// Generated from ${source} by cmake/embed_sql_file.cmake. Do not edit.\n")
string(APPEND body "#include \"${HEADER}\"\n\nnamespace meowmx::internal {\n\n")
string(APPEND body "std::string_view ${FUNCTION}() {\n  return R\"meowmx_sql(${sql})meowmx_sql\";\n}\n\n")
string(APPEND body "}  // namespace meowmx::internal\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)

# Turns the numbered migrations in sql/ into a C++ source, so the library and
# the CLI apply exactly the files in the repository without reading them at run time.
# Inputs: SQL_DIR, OUTPUT.
file(GLOB migrations "${SQL_DIR}/[0-9][0-9][0-9]_*.sql")
list(SORT migrations)
set(body "// Generated from sql/ by cmake/embed_sql.cmake. Do not edit.\n")
string(APPEND body "#include \"store/migrations.h\"\n\nnamespace meowmx::internal {\n\n")
string(APPEND body "const std::vector<Migration>& migrations() {\n  static const std::vector<Migration> all = {\n")
foreach(path IN LISTS migrations)
  get_filename_component(name "${path}" NAME_WE)
  string(SUBSTRING "${name}" 0 3 number)
  math(EXPR number "${number}")
  file(READ "${path}" sql)
  string(APPEND body "    {${number}, \"${name}\", R\"meowmx_sql(${sql})meowmx_sql\"},\n")
endforeach()
string(APPEND body "  };\n  return all;\n}\n\n}  // namespace meowmx::internal\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)

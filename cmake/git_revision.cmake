# Writes the git revision of SOURCE_DIR into OUTPUT as MEOWMX_GIT_REVISION, for
# `meowmx --version`; the file changes (and its user recompiles) only when the
# revision does. "unknown" outside a git checkout. Inputs: SOURCE_DIR, OUTPUT.
execute_process(
  COMMAND git -C "${SOURCE_DIR}" describe --always --dirty --abbrev=12
  OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR revision STREQUAL "")
  set(revision "unknown")
endif()
file(WRITE "${OUTPUT}.tmp" "#define MEOWMX_GIT_REVISION \"${revision}\"\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)

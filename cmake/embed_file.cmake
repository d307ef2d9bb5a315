# Embeds a file's bytes in a library, behind a C++ accessor `std::string_view FUNCTION()`.
#
# The bytes go in with the assembler's .incbin: no C++ compiler ever parses them, so a large
# file (the 0.5 MB descriptor set of the Envoy API) costs no compile time and no memory, and
# any content (NUL bytes, quotes, non-ASCII text) embeds unchanged.
#
# In a CMakeLists.txt (the project enables the ASM language):
#
#   include("${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake")
#   xdsd_embed_file(OUT_SOURCES
#     INPUT     "${CMAKE_CURRENT_SOURCE_DIR}/page.html"
#     SYMBOL    xdsd_page           # symbols xdsd_page_begin and xdsd_page_end
#     HEADER    admin/page.h        # declares FUNCTION; #included by the generated accessor
#     NAMESPACE xdsd::admin
#     FUNCTION  PageHtml)
#   target_sources(my_library PRIVATE ${OUT_SOURCES})
#
# sets OUT_SOURCES to two generated files in the current binary dir: SYMBOL.S (the bytes) and
# SYMBOL.cc (the accessor). The string_view is valid for the life of the process and is
# followed by a NUL byte. The same file run as a script (cmake -DINPUT=... -DSYMBOL=...
# -DOUTPUT_ASM=... -DOUTPUT_CC=... -DHEADER=... -DNAMESPACE=... -DFUNCTION=... -P
# embed_file.cmake) writes the two files; the build runs it whenever INPUT changes.

if(NOT CMAKE_SCRIPT_MODE_FILE)
  set(_xdsd_embed_file_script "${CMAKE_CURRENT_LIST_FILE}")

  function(xdsd_embed_file out_var)
    cmake_parse_arguments(E "" "INPUT;SYMBOL;HEADER;NAMESPACE;FUNCTION" "" ${ARGN})
    foreach(arg INPUT SYMBOL HEADER NAMESPACE FUNCTION)
      if(NOT E_${arg})
        message(FATAL_ERROR "xdsd_embed_file: ${arg} is required")
      endif()
    endforeach()
    set(asm "${CMAKE_CURRENT_BINARY_DIR}/${E_SYMBOL}.S")
    set(cc "${CMAKE_CURRENT_BINARY_DIR}/${E_SYMBOL}.cc")
    get_filename_component(input_name "${E_INPUT}" NAME)
    add_custom_command(
      OUTPUT "${asm}" "${cc}"
      COMMAND "${CMAKE_COMMAND}" -DINPUT=${E_INPUT} -DSYMBOL=${E_SYMBOL}
              -DOUTPUT_ASM=${asm} -DOUTPUT_CC=${cc} -DHEADER=${E_HEADER}
              -DNAMESPACE=${E_NAMESPACE} -DFUNCTION=${E_FUNCTION}
              -P "${_xdsd_embed_file_script}"
      DEPENDS "${E_INPUT}" "${_xdsd_embed_file_script}"
      COMMENT "Embedding ${input_name} (${E_NAMESPACE}::${E_FUNCTION})"
      VERBATIM)
    set(${out_var} "${asm}" "${cc}" PARENT_SCOPE)
  endfunction()
  return()
endif()

# Script mode: write OUTPUT_ASM and OUTPUT_CC.
foreach(var INPUT SYMBOL OUTPUT_ASM OUTPUT_CC HEADER NAMESPACE FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: -D${var}=... is required")
  endif()
endforeach()

# Writes CONTENT to PATH only when it differs, so that an unchanged input recompiles nothing.
function(_xdsd_write_if_changed path content)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${path}.tmp" "${content}")
  file(RENAME "${path}.tmp" "${path}")
endfunction()

get_filename_component(input_name "${INPUT}" NAME)
# The input's hash is part of a label: a compiler cache hashes the assembler source, not the
# file that .incbin reads, so a new input must make a new source.
file(SHA256 "${INPUT}" digest)
_xdsd_write_if_changed("${OUTPUT_ASM}" "\
  /* Generated from ${input_name} by embed_file.cmake at build time. Do not edit. */
  .section .rodata
  .balign 16
  .global ${SYMBOL}_begin
  .global ${SYMBOL}_end
${SYMBOL}_sha256_${digest}:
${SYMBOL}_begin:
  .incbin \"${INPUT}\"
${SYMBOL}_end:
  .byte 0
  .section .note.GNU-stack,\"\",@progbits
")

_xdsd_write_if_changed("${OUTPUT_CC}" "\
// Generated from ${input_name} by embed_file.cmake at build time. Do not edit.
#include \"${HEADER}\"

extern \"C\" const char ${SYMBOL}_begin[];
extern \"C\" const char ${SYMBOL}_end[];

namespace ${NAMESPACE} {

std::string_view ${FUNCTION}() {
  return std::string_view(${SYMBOL}_begin, ${SYMBOL}_end - ${SYMBOL}_begin);
}

}  // namespace ${NAMESPACE}
")

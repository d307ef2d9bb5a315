# Turns a file into a C++ source that defines `std::string_view FUNCTION()` returning the file's
# bytes. Run in script mode:
#
#   cmake -DINPUT=page.html -DOUTPUT=page.cc -DHEADER=admin/dashboard/dashboard.h
#         -DNAMESPACE=xdsd::admin -DFUNCTION=DashboardHtml -P embed_file.cmake
#
# The bytes are written as \xNN escapes in a string literal, so any content (quotes, backslashes,
# `)"` sequences, non-ASCII text) embeds unchanged.
foreach(var INPUT OUTPUT HEADER NAMESPACE FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# A string literal of \xNN escapes, 32 bytes a line (a \xNN escape followed by another escape
# cannot run on into the next character).
set(lines "")
set(offset 0)
while(offset LESS hex_length)
  string(SUBSTRING "${hex}" ${offset} 64 chunk)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" chunk "${chunk}")
  string(APPEND lines "\n    \"${chunk}\"")
  math(EXPR offset "${offset} + 64")
endwhile()
if(size EQUAL 0)
  set(lines "\"\"")
endif()
get_filename_component(input_name "${INPUT}" NAME)

set(content "// Generated from ${input_name} by embed_file.cmake at build time. Do not edit.
#include \"${HEADER}\"

namespace ${NAMESPACE} {
namespace {

constexpr char kBytes[${size} + 1] =${lines};

}  // namespace

std::string_view ${FUNCTION}() { return std::string_view(kBytes, ${size}); }

}  // namespace ${NAMESPACE}
")

# Rewrite only on change, so that an unchanged page recompiles nothing.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")

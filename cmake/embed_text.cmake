# Writes OUTPUT, a C++ file defining `std::string_view NAMESPACE::openapi_document()` that
# returns the text of INPUT as a raw string literal. Run at build time by cmake/api_docs.cmake.
file(READ "${INPUT}" text)
set(delimiter "solar_embedded")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${INPUT} contains the raw string delimiter )${delimiter}\"")
endif()
file(RELATIVE_PATH source_name "${ROOT}" "${INPUT}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${source_name} by cmake/embed_text.cmake; edit the JSON, not this file.
#include <string_view>

namespace ${NAMESPACE} {

std::string_view openapi_document() {
    return R\"${delimiter}(${text})${delimiter}\";
}

}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")

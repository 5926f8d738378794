// solar-host's OpenAPI document (docs/openapi/solar-host.json), embedded at build time so the
// binary always serves the document it was built with (cmake/api_docs.cmake).
#pragma once

#include <string_view>

namespace solar::host {

// The document's JSON text.
std::string_view openapi_document();

}  // namespace solar::host

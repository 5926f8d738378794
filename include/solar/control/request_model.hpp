// Reads the "model" member of an OpenAI request body without building a JSON document: the
// proxy forwards bodies untouched, so validating them and finding one string is all it needs.
#pragma once

#include <solar/core/json_error.hpp>

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace solar::control {

// The top-level "model" string of `body` (the last one when the key repeats, as a JSON parser
// keeping one value per key does). Fails with the 400 the proxy answers when the body is not
// valid JSON, is not an object, or has no non-empty string "model".
boost::system::result<std::string, core::api_error> read_model_field(std::string_view body);

}  // namespace solar::control

// Why a tokenizer.json cannot be loaded: an error code plus a message naming the culprit.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <type_traits>

namespace solar::runner {

enum class tokenizer_errc {
    unreadable_file = 1,
    malformed_json,
    unsupported_component,  // a normalizer, pre-tokenizer, model, ... type this library lacks
    invalid_component,      // a known component with missing or inconsistent fields
    invalid_regex,
};
const boost::system::error_category& tokenizer_category();
boost::system::error_code make_error_code(tokenizer_errc e);

// An error code with the human-readable detail, e.g. "unsupported normalizer type \"Foo\"".
struct tokenizer_error {
    boost::system::error_code code;
    std::string message;
};

// Thrown by result<T, tokenizer_error>::value() on an error.
[[noreturn]] void throw_exception_from_error(
    const tokenizer_error& e, const boost::source_location& location
);

template <class T>
using tokenizer_result = boost::system::result<T, tokenizer_error>;

// A tokenizer_error with the given code and message.
tokenizer_error make_tokenizer_error(tokenizer_errc code, std::string message);

}  // namespace solar::runner

template <>
struct boost::system::is_error_code_enum<solar::runner::tokenizer_errc> : std::true_type {};

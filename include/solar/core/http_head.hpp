// HTTP/1.1 message heads written straight into a string, for the proxy's hot path: Beast's
// generic serializer walks nested buffer-sequence views per field and cost about a tenth of
// the gateway's CPU per proxied request (bench/README.md, "Profile of the hot path").
#pragma once

#include <solar/core/http_types.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace solar::core {

// False for values that would split the head: CR, LF or NUL anywhere.
bool is_safe_field_value(std::string_view value);

// Appends "name: value\r\n"; a value that is not safe is left out with its name.
void append_field(std::string& out, std::string_view name, std::string_view value);

// Appends the status line and every field of `head`, then the blank line that ends the head:
// the bytes Beast's serializer writes for the same header.
void append_response_head(std::string& out, const http::response_header<>& head);

// Writes a complete response (head, then body) in one gathered write. Responses marked
// chunked go through Beast's serializer, which owns the chunk framing.
asio::awaitable<std::pair<beast::error_code, std::size_t>> write_response(
    beast::tcp_stream& stream, const response& res
);

}  // namespace solar::core

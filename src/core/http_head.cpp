// Hand-written HTTP/1.1 heads: see include/solar/core/http_head.hpp for why.
#include <solar/core/http_head.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <charconv>
#include <cstdint>

namespace solar::core {

using namespace std::string_view_literals;

bool is_safe_field_value(std::string_view value) {
    // One pass; find_first_of would scan the whole value once per character it looks for.
    for (char c : value) {
        if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return true;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    if (!is_safe_field_value(value)) return;
    out.append(name);
    out.append(": "sv);
    out.append(value);
    out.append("\r\n"sv);
}

void append_number(std::string& out, std::uint64_t value) {
    std::array<char, 24> digits;
    auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.append(digits.data(), end);
}

void append_status_line(
    std::string& out, unsigned version, unsigned status, std::string_view reason
) {
    out.append(version == 10 ? "HTTP/1.0 "sv : "HTTP/1.1 "sv);
    append_number(out, status);
    out.push_back(' ');
    out.append(reason);
    out.append("\r\n"sv);
}

void append_response_head(std::string& out, const http::response_header<>& head) {
    append_status_line(out, head.version(), head.result_int(), head.reason());
    for (const auto& field : head) append_field(out, field.name_string(), field.value());
    out.append("\r\n"sv);
}

asio::awaitable<std::pair<beast::error_code, std::size_t>> write_response(
    beast::tcp_stream& stream, const response& res, std::chrono::milliseconds timeout
) {
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    if (res.chunked()) {
        stream.expires_after(timeout);
        auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
        co_return std::pair{ec, n};
    }
    std::string head;
    head.reserve(256);
    append_response_head(head, res.base());
    std::array<asio::const_buffer, 2> pieces{asio::buffer(head), asio::buffer(res.body())};
    auto [ec, n] = co_await write_all(stream, pieces, timeout);
    co_return std::pair{ec, n};
}

}  // namespace solar::core

// A blocking loopback HTTP client for the runner's in-process tests.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <map>
#include <string>

namespace solar::runner::test {

struct reply {
    unsigned status = 0;
    std::string body;
};

inline reply http_call(
    unsigned short port,
    boost::beast::http::verb method,
    const std::string& target,
    const std::string& body = "",
    const std::map<std::string, std::string>& headers = {}
) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    boost::asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    stream.expires_after(std::chrono::seconds(10));
    stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return {res.result_int(), res.body()};
}

}  // namespace solar::runner::test

// Blocking loopback HTTP for tests: a coroutine on a private io_context, run to completion.
#include "harness/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "harness/net_util.hpp"

namespace solar::test {

nlohmann::json http_result::json() const { return nlohmann::json::parse(body); }

std::string http_result::header(const std::string& name) const {
    auto it = headers.find(lowercase(name));
    return it == headers.end() ? "" : it->second;
}

http_result http_request(
    const std::string& host,
    unsigned short port,
    http::verb method,
    std::string target,
    std::string body,
    std::map<std::string, std::string> headers,
    std::chrono::milliseconds timeout
) {
    asio::io_context ioc;
    http_result result;
    auto exchange = [&]() -> asio::awaitable<void> {
        beast::tcp_stream stream{ioc};
        // One deadline for the whole exchange: the stream closes itself when it passes.
        stream.expires_after(timeout);
        co_await stream.async_connect(resolve_loopback(ioc, host, port), asio::use_awaitable);
        http::request<http::string_body> req =
            make_request(host, port, method, target, std::move(body), headers);
        co_await http::async_write(stream, req, asio::use_awaitable);
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(1024 * 1024 * 1024);
        // A HEAD answer has a Content-Length but no body.
        if (method == http::verb::head) parser.skip(true);
        co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
        auto& res = parser.get();
        result.status = res.result_int();
        result.headers = header_map(res);
        result.body = std::move(res.body());
        boost::system::error_code ignored;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    };
    asio::co_spawn(ioc, exchange(), [&](std::exception_ptr failure) {
        if (!failure) return;
        try {
            std::rethrow_exception(failure);
        } catch (const boost::system::system_error& e) {
            result.error = e.code() == beast::error::timeout ? "timeout" : e.code().message();
        } catch (const std::exception& e) {
            result.error = e.what();
        }
        result.status = 0;
    });
    ioc.run();
    return result;
}

}  // namespace solar::test

// Pieces the harness's HTTP, SSE and WebSocket clients share; not meant for tests themselves.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <map>
#include <string>

namespace solar::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

std::string lowercase(std::string text);

// host:port as an endpoint: a literal address, or a name resolved (synchronously) to its first
// address. Throws boost::system::system_error when the name does not resolve.
asio::ip::tcp::endpoint resolve_loopback(
    asio::io_context& ioc, const std::string& host, unsigned short port
);

// A request with Host set, Content-Type application/json when there is a body and `headers`
// has none, then `headers` applied, and the payload prepared.
http::request<http::string_body> make_request(
    const std::string& host,
    unsigned short port,
    http::verb method,
    const std::string& target,
    std::string body,
    const std::map<std::string, std::string>& headers
);

// Header fields as lowercased name -> value; repeated fields are joined with ", ".
std::map<std::string, std::string> header_map(const http::fields& fields);

}  // namespace solar::test

// A blocking loopback TCP connection for tests that need control over the bytes on the wire:
// framing, pipelining, half-closes. Reads give up after ten seconds instead of hanging.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <string>

namespace solar::test {

class raw_connection {
public:
    explicit raw_connection(unsigned short port);

    void send(const std::string& bytes);
    // Shuts down the sending side: the server reads the end of the stream after what was sent.
    void close_sending();
    // Reads one whole response; throws boost::system::system_error on a close or timeout.
    boost::beast::http::response<boost::beast::http::string_body> read();

private:
    boost::asio::io_context ioc_;
    boost::asio::ip::tcp::socket socket_;
    boost::beast::flat_buffer buffer_;
};

// "POST <target> HTTP/1.1" with Host, X-API-Key and Content-Type: application/json, then the
// given framing header lines (each ending in CRLF), then the blank line.
std::string post_head(
    const std::string& target, const std::string& key, const std::string& framing
);

// A whole POST with Content-Length framing.
std::string post_request(
    const std::string& target, const std::string& key, const std::string& body
);

}  // namespace solar::test

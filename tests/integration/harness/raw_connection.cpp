#include "harness/raw_connection.hpp"

#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <sys/time.h>

namespace solar::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

raw_connection::raw_connection(unsigned short port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket_.set_option(tcp::no_delay(true));
    timeval limit{10, 0};  // a hang fails the test instead of stalling it
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
}

void raw_connection::send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

void raw_connection::close_sending() { socket_.shutdown(tcp::socket::shutdown_send); }

http::response<http::string_body> raw_connection::read() {
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res);
    return res;
}

std::string post_head(
    const std::string& target, const std::string& key, const std::string& framing
) {
    return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: " + key +
           "\r\nContent-Type: application/json\r\n" + framing + "\r\n";
}

std::string post_request(
    const std::string& target, const std::string& key, const std::string& body
) {
    return post_head(target, key, "Content-Length: " + std::to_string(body.size()) + "\r\n") + body;
}

}  // namespace solar::test

// Pieces the harness's clients share: endpoints, request building, header maps.
#include "harness/net_util.hpp"

#include <cctype>

namespace solar::test {

std::string lowercase(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

asio::ip::tcp::endpoint resolve_loopback(
    asio::io_context& ioc, const std::string& host, unsigned short port
) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (!ec) return {address, port};
    asio::ip::tcp::resolver resolver{ioc};
    return *resolver.resolve(host, std::to_string(port)).begin();
}

http::request<http::string_body> make_request(
    const std::string& host,
    unsigned short port,
    http::verb method,
    const std::string& target,
    std::string body,
    const std::map<std::string, std::string>& headers
) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host + ":" + std::to_string(port));
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
}

std::map<std::string, std::string> header_map(const http::fields& fields) {
    std::map<std::string, std::string> out;
    for (const auto& field : fields) {
        std::string name = lowercase(std::string(field.name_string()));
        std::string value(field.value());
        auto [it, inserted] = out.emplace(name, value);
        if (!inserted) it->second += ", " + value;
    }
    return out;
}

}  // namespace solar::test

// Tests for base URL parsing, validation and normalisation.
#include <solar/core/url.hpp>

#include <gtest/gtest.h>

namespace solar::core {
namespace {

base_url parse_ok(std::string_view text) {
    auto url = parse_base_url(text);
    EXPECT_TRUE(url) << text << ": " << (url ? "" : url.error().message());
    return url ? *url : base_url{};
}

boost::system::error_code parse_error(std::string_view text) {
    auto url = parse_base_url(text);
    EXPECT_FALSE(url) << text << " parsed as " << (url ? url->to_string() : "");
    return url ? boost::system::error_code{} : url.error();
}

TEST(url, plain_http_with_port) {
    auto url = parse_ok("http://192.168.1.100:8001");
    EXPECT_EQ(url.scheme, "http");
    EXPECT_EQ(url.host, "192.168.1.100");
    EXPECT_EQ(url.port, 8001);
    EXPECT_EQ(url.path_prefix, "");
    EXPECT_FALSE(url.is_tls());
    EXPECT_EQ(url.authority(), "192.168.1.100:8001");
    EXPECT_EQ(url.to_string(), "http://192.168.1.100:8001");
}

TEST(url, default_ports) {
    EXPECT_EQ(parse_ok("http://example.com").port, 80);
    auto tls = parse_ok("https://example.com");
    EXPECT_EQ(tls.port, 443);
    EXPECT_TRUE(tls.is_tls());
    EXPECT_EQ(tls.to_string(), "https://example.com:443");
    EXPECT_EQ(parse_ok("http://example.com:/").port, 80);  // empty port = default (RFC 3986)
}

TEST(url, ipv6_literal_keeps_brackets_only_in_authority) {
    auto url = parse_ok("http://[::1]:8001");
    EXPECT_EQ(url.host, "::1");
    EXPECT_EQ(url.port, 8001);
    EXPECT_EQ(url.authority(), "[::1]:8001");
    EXPECT_EQ(url.to_string(), "http://[::1]:8001");
    EXPECT_EQ(parse_ok("http://[0:0:0::1]:8001").to_string(), "http://[::1]:8001");
}

TEST(url, trailing_slash_and_case_are_normalised) {
    EXPECT_EQ(parse_ok("http://host:8001/").to_string(), "http://host:8001");
    EXPECT_EQ(parse_ok("  HTTP://Host.Example:8001//  ").to_string(), "http://host.example:8001");
    auto prefixed = parse_ok("https://gw.example/solar/api/");
    EXPECT_EQ(prefixed.path_prefix, "/solar/api");
    EXPECT_EQ(prefixed.to_string(), "https://gw.example:443/solar/api");
    EXPECT_EQ(parse_ok("http://h/a/./b/../c").path_prefix, "/a/c");
    EXPECT_EQ(parse_ok("http://h:80").to_string(), parse_ok("http://H/").to_string());
}

TEST(url, empty_is_refused) {
    EXPECT_EQ(parse_error(""), url_errc::empty);
    EXPECT_EQ(parse_error("   "), url_errc::empty);
}

TEST(url, only_http_and_https) {
    EXPECT_EQ(parse_error("ftp://host:21"), url_errc::bad_scheme);
    EXPECT_EQ(parse_error("ws://host:80"), url_errc::bad_scheme);
    EXPECT_EQ(parse_error("localhost:8001"), url_errc::bad_scheme);
    EXPECT_EQ(parse_error("host"), url_errc::bad_scheme);
    EXPECT_EQ(url_errc_message(url_errc::bad_scheme), "scheme must be http or https");
}

TEST(url, port_range) {
    EXPECT_EQ(parse_error("http://host:0"), url_errc::bad_port);
    EXPECT_EQ(parse_error("http://host:70000"), url_errc::bad_port);
    EXPECT_EQ(parse_error("http://host:65536"), url_errc::bad_port);
    EXPECT_EQ(parse_error("http://host:99999999999"), url_errc::bad_port);
    EXPECT_EQ(parse_error("http://host:abc"), url_errc::bad_port);
    EXPECT_EQ(parse_error("http://[::1]:x1"), url_errc::bad_port);
    EXPECT_EQ(parse_ok("http://host:65535").port, 65535);
    EXPECT_EQ(parse_ok("http://host:1").port, 1);
}

TEST(url, missing_host) {
    EXPECT_EQ(parse_error("http://"), url_errc::missing_host);
    EXPECT_EQ(parse_error("http:///path"), url_errc::missing_host);
    EXPECT_EQ(parse_error("https://:8443"), url_errc::missing_host);
}

TEST(url, query_fragment_and_userinfo_refused) {
    EXPECT_EQ(parse_error("http://host:1/?a=b"), url_errc::has_query_or_fragment);
    EXPECT_EQ(parse_error("http://host:1/?"), url_errc::has_query_or_fragment);
    EXPECT_EQ(parse_error("http://host:1/#top"), url_errc::has_query_or_fragment);
    EXPECT_EQ(parse_error("http://user:pw@host:1"), url_errc::userinfo_not_allowed);
    EXPECT_EQ(parse_error("http://user@host:1"), url_errc::userinfo_not_allowed);
}

TEST(url, malformed_text) {
    EXPECT_EQ(parse_error("http://ho st:1"), url_errc::malformed);
    EXPECT_EQ(parse_error("http:/host"), url_errc::malformed);
    EXPECT_EQ(parse_error("http://[::1"), url_errc::malformed);
}

TEST(url, errors_have_a_category_and_messages) {
    boost::system::error_code ec = url_errc::bad_port;
    EXPECT_STREQ(ec.category().name(), "solar.url");
    EXPECT_EQ(ec.message(), url_errc_message(url_errc::bad_port));
    EXPECT_NE(url_errc_message(url_errc::malformed), url_errc_message(url_errc::empty));
}

}  // namespace
}  // namespace solar::core

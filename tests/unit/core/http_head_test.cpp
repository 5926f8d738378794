// Unit tests for hand-written HTTP heads: byte for byte what Beast's serializer writes.
#include <solar/core/http_head.hpp>

#include <gtest/gtest.h>

#include <sstream>

namespace solar::core {
namespace {

std::string beast_head(const response& res) {
    std::ostringstream out;
    out << res.base();
    return out.str();
}

std::string our_head(const response& res) {
    std::string out;
    append_response_head(out, res.base());
    return out;
}

TEST(http_head, writes_the_response_head_beast_writes) {
    response ok{http::status::ok, 11};
    ok.set(http::field::content_type, "application/json");
    ok.set("x-request-id", "abc123");
    ok.set("x-ratelimit-remaining", "41");
    ok.body() = R"({"ok":true})";
    ok.prepare_payload();
    EXPECT_EQ(our_head(ok), beast_head(ok));

    response old{http::status::not_found, 10};
    old.keep_alive(true);
    old.set(http::field::content_type, "text/plain");
    EXPECT_EQ(our_head(old), beast_head(old));
    EXPECT_EQ(our_head(old).rfind("HTTP/1.0 404 Not Found\r\n", 0), 0u);

    response custom{http::status::bad_gateway, 11};
    custom.reason("Upstream Gone");
    custom.keep_alive(false);
    EXPECT_EQ(our_head(custom), beast_head(custom));

    response unknown{static_cast<http::status>(499), 11};
    EXPECT_EQ(our_head(unknown), beast_head(unknown));
}

TEST(http_head, ends_the_head_with_a_blank_line) {
    response empty{http::status::no_content, 11};
    EXPECT_EQ(our_head(empty), "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(http_head, leaves_out_values_that_would_split_the_head) {
    EXPECT_TRUE(is_safe_field_value("Bearer abc"));
    EXPECT_FALSE(is_safe_field_value("a\r\nX-Injected: 1"));
    EXPECT_FALSE(is_safe_field_value("a\nb"));
    EXPECT_FALSE(is_safe_field_value(std::string("a\0b", 3)));

    std::string out;
    append_field(out, "Accept", "text/event-stream");
    append_field(out, "X-Evil", "v\r\nInjected: yes");
    EXPECT_EQ(out, "Accept: text/event-stream\r\n");

    response res{http::status::ok, 11};
    res.set("x-upstream", "fine");
    res.set("x-broken", "bad\r\nSet-Cookie: stolen");
    auto head = our_head(res);
    EXPECT_NE(head.find("x-upstream: fine\r\n"), std::string::npos);
    EXPECT_EQ(head.find("Set-Cookie"), std::string::npos);
}

}  // namespace
}  // namespace solar::core

// Unit tests for route matching: literal and captured segments, 404 versus 405, deep paths.
#include <solar/core/router.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace solar::core {
namespace {

handler answers(std::string text) {
    return [text](request_context&) -> asio::awaitable<handler_result> {
        response res{http::status::ok, 11};
        res.body() = text;
        co_return res;
    };
}

router sample_routes() {
    router routes;
    routes.add(http::verb::get, "/hosts", answers("list"));
    routes.add(http::verb::post, "/hosts", answers("add"));
    routes.add(http::verb::get, "/hosts/{id}/instances", answers("instances"));
    routes.add(http::verb::post, "/v1/chat/completions", answers("chat"));
    return routes;
}

TEST(router, matches_literal_paths_by_method) {
    auto routes = sample_routes();
    auto match = routes.match(http::verb::post, "/hosts");
    ASSERT_NE(match.matched, nullptr);
    EXPECT_EQ(match.matched->pattern, "/hosts");
    EXPECT_EQ(match.matched->method, http::verb::post);
    ASSERT_NE(routes.match(http::verb::post, "/v1/chat/completions").matched, nullptr);
}

TEST(router, captures_parameters) {
    auto routes = sample_routes();
    auto match = routes.match(http::verb::get, "/hosts/gpu-7/instances");
    ASSERT_NE(match.matched, nullptr);
    ASSERT_EQ(match.params.size(), 1u);
    EXPECT_EQ(match.params[0].first, "id");
    EXPECT_EQ(match.params[0].second, "gpu-7");
}

TEST(router, ignores_repeated_and_trailing_slashes) {
    auto routes = sample_routes();
    EXPECT_NE(routes.match(http::verb::get, "/hosts/").matched, nullptr);
    EXPECT_NE(routes.match(http::verb::get, "//hosts//x//instances").matched, nullptr);
}

TEST(router, tells_an_unknown_path_from_a_wrong_method) {
    auto routes = sample_routes();
    auto unknown = routes.match(http::verb::get, "/nothing/here");
    EXPECT_EQ(unknown.matched, nullptr);
    EXPECT_FALSE(unknown.path_known);

    auto wrong = routes.match(http::verb::delete_, "/hosts");
    EXPECT_EQ(wrong.matched, nullptr);
    EXPECT_TRUE(wrong.path_known);
    EXPECT_EQ(wrong.allowed, (std::vector<std::string>{"GET", "POST"}));

    EXPECT_EQ(routes.match(http::verb::get, "/hosts/x").matched, nullptr);
    EXPECT_EQ(routes.match(http::verb::get, "/hosts/x/instances/y").matched, nullptr);
}

TEST(router, a_path_deeper_than_any_route_matches_nothing) {
    router routes;
    std::string deep_pattern;
    for (int i = 0; i < 32; ++i) deep_pattern += "/{p" + std::to_string(i) + "}";
    routes.add(http::verb::get, deep_pattern, answers("deep"));

    std::string path;
    for (int i = 0; i < 32; ++i) path += "/s";
    EXPECT_NE(routes.match(http::verb::get, path).matched, nullptr);
    path += "/s";  // 33 segments: more than a path is matched on
    auto match = routes.match(http::verb::get, path);
    EXPECT_EQ(match.matched, nullptr);
    EXPECT_FALSE(match.path_known);

    std::string huge;
    for (int i = 0; i < 10000; ++i) huge += "/a";
    EXPECT_EQ(routes.match(http::verb::get, huge).matched, nullptr);
    EXPECT_THROW(
        routes.add(http::verb::get, deep_pattern + "/more", answers("x")), std::invalid_argument
    );
}

}  // namespace
}  // namespace solar::core

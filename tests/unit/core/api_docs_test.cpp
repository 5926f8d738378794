// Tests for the API docs routes: the document verbatim, the Swagger UI page and its files from
// a directory read at registration, 503 (in the daemon's error shape) when the files are
// missing, all routes public; and where a binary looks for the files.
#include <solar/core/api_docs.hpp>
#include <solar/core/connection_registry.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace solar::core {
namespace {

const std::string document =
    R"({"openapi":"3.1.0","info":{"title":"demo <daemon>","version":"1"},"paths":{}})";

class api_docs_test : public ::testing::Test {
protected:
    api_docs_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-api-docs-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
    }
    ~api_docs_test() override { std::filesystem::remove_all(dir_); }

    void write(const std::filesystem::path& file, const std::string& text) {
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << text;
    }
    void install_assets(const std::filesystem::path& dir) {
        for (auto name : swagger_ui_files) write(dir / name, "contents of " + std::string(name));
    }

    // Answers GET `target` through the router as the server would (404 when unrouted).
    response get(const router& routes, const std::string& target) {
        auto match = routes.match(http::verb::get, target);
        if (!match.matched) return response{http::status::not_found, 11};
        asio::io_context ioc;
        request req{http::verb::get, target, 11};
        beast::tcp_stream stream{ioc};
        beast::flat_buffer buffer;
        connection_slot slot{ioc.get_executor()};
        request_context ctx{
            req,
            stream,
            buffer,
            slot,
            match.params,
            "test",
            target,
            "",
            std::chrono::steady_clock::now(),
            {},
            std::nullopt,
            false,
            false};
        auto answer = asio::co_spawn(ioc, match.matched->run(ctx), asio::use_future);
        ioc.run();
        auto result = answer.get();
        EXPECT_TRUE(result.has_value());
        return *result;
    }

    std::filesystem::path dir_;
};

TEST_F(api_docs_test, serves_the_document_verbatim_as_json) {
    router routes;
    add_api_docs_routes(routes, document, {.assets_dir = dir_ / "none"});
    auto res = get(routes, "/openapi.json");
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res[http::field::content_type], "application/json");
    EXPECT_EQ(res.body(), document);
}

TEST_F(api_docs_test, every_route_is_public_and_takes_no_query_key) {
    router routes;
    add_api_docs_routes(routes, document, {.assets_dir = dir_});
    ASSERT_EQ(routes.routes().size(), 3u);
    for (const auto& route : routes.routes()) {
        EXPECT_EQ(route.method, http::verb::get) << route.pattern;
        EXPECT_TRUE(route.options.public_access) << route.pattern;
        EXPECT_FALSE(route.options.allow_query_key) << route.pattern;
    }
}

TEST_F(api_docs_test, page_loads_only_the_daemons_own_files_and_document) {
    install_assets(dir_);
    router routes;
    add_api_docs_routes(routes, document, {.assets_dir = dir_});
    auto page = get(routes, "/docs");
    ASSERT_EQ(page.result(), http::status::ok);
    EXPECT_EQ(page[http::field::content_type], "text/html; charset=utf-8");
    const auto& html = page.body();
    EXPECT_NE(html.find("<title>demo &lt;daemon&gt; - Swagger UI</title>"), std::string::npos);
    EXPECT_NE(html.find(R"(href="/docs/swagger-ui.css")"), std::string::npos);
    EXPECT_NE(html.find(R"(src="/docs/swagger-ui-bundle.js")"), std::string::npos);
    EXPECT_NE(html.find(R"(src="/docs/swagger-ui-standalone-preset.js")"), std::string::npos);
    EXPECT_NE(html.find(R"(url: "/openapi.json")"), std::string::npos);
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST_F(api_docs_test, files_are_served_with_their_types_and_nothing_else_is) {
    install_assets(dir_);
    write(dir_ / "secret.txt", "not for clients");
    router routes;
    add_api_docs_routes(routes, document, {.assets_dir = dir_});
    auto css = get(routes, "/docs/swagger-ui.css");
    EXPECT_EQ(css.result(), http::status::ok);
    EXPECT_EQ(css[http::field::content_type], "text/css; charset=utf-8");
    EXPECT_EQ(css.body(), "contents of swagger-ui.css");
    auto js = get(routes, "/docs/swagger-ui-bundle.js");
    EXPECT_EQ(js[http::field::content_type], "application/javascript; charset=utf-8");
    EXPECT_EQ(get(routes, "/docs/favicon-32x32.png")[http::field::content_type], "image/png");
    EXPECT_EQ(get(routes, "/docs/secret.txt").result(), http::status::not_found);
    EXPECT_EQ(get(routes, "/docs/..").result(), http::status::not_found);
}

TEST_F(api_docs_test, files_are_read_once_at_registration) {
    install_assets(dir_);
    router routes;
    add_api_docs_routes(routes, document, {.assets_dir = dir_});
    std::filesystem::remove_all(dir_);
    EXPECT_EQ(get(routes, "/docs").result(), http::status::ok);
    EXPECT_EQ(get(routes, "/docs/swagger-ui.css").body(), "contents of swagger-ui.css");
}

TEST_F(api_docs_test, without_the_files_docs_answers_503_naming_where_and_the_document_stays) {
    router routes;
    add_api_docs_routes(routes, document, {.assets_dir = dir_ / "absent"});
    auto page = get(routes, "/docs");
    EXPECT_EQ(page.result(), http::status::service_unavailable);
    auto body = nlohmann::json::parse(page.body());
    auto message = body["error"]["message"].get<std::string>();
    EXPECT_NE(message.find((dir_ / "absent").string()), std::string::npos) << message;
    EXPECT_NE(message.find("npm ci --prefix docs/swagger-ui"), std::string::npos) << message;
    EXPECT_NE(message.find("/openapi.json"), std::string::npos) << message;
    EXPECT_EQ(body["error"]["code"], "docs_unavailable");
    EXPECT_EQ(get(routes, "/openapi.json").result(), http::status::ok);
}

TEST_F(api_docs_test, the_favicons_are_optional_the_other_files_are_not) {
    install_assets(dir_);
    std::filesystem::remove(dir_ / "favicon-16x16.png");
    router with_favicon_missing;
    add_api_docs_routes(with_favicon_missing, document, {.assets_dir = dir_});
    EXPECT_EQ(get(with_favicon_missing, "/docs").result(), http::status::ok);

    std::filesystem::remove(dir_ / "swagger-ui-standalone-preset.js");
    router with_preset_missing;
    add_api_docs_routes(with_preset_missing, document, {.assets_dir = dir_});
    EXPECT_EQ(get(with_preset_missing, "/docs").result(), http::status::service_unavailable);
}

TEST_F(api_docs_test, errors_use_the_daemons_error_body) {
    router routes;
    api_docs_options options{.assets_dir = dir_ / "absent"};
    options.error_body = [](const api_error& error) {
        return nlohmann::json{{"detail", error.message}}.dump();
    };
    add_api_docs_routes(routes, document, options);
    EXPECT_TRUE(nlohmann::json::parse(get(routes, "/docs").body())["detail"].is_string());
    EXPECT_TRUE(nlohmann::json::parse(get(routes, "/docs/x.js").body())["detail"].is_string());
}

TEST_F(api_docs_test, a_document_that_is_not_a_json_object_is_refused) {
    router routes;
    EXPECT_THROW(add_api_docs_routes(routes, "{not json", {}), std::invalid_argument);
    EXPECT_THROW(add_api_docs_routes(routes, "[1]", {}), std::invalid_argument);
    EXPECT_TRUE(routes.routes().empty());
}

TEST_F(api_docs_test, files_are_looked_for_in_share_then_beside_the_binary) {
    auto bin = dir_ / "prefix" / "bin" / "solar-control";
    auto share = dir_ / "prefix" / "share" / "solar" / "swagger-ui";
    auto beside = dir_ / "prefix" / "bin" / "swagger-ui";
    EXPECT_EQ(default_swagger_ui_dir(bin), share);  // neither: the first, for the message
    install_assets(beside);
    EXPECT_EQ(default_swagger_ui_dir(bin), beside);
    install_assets(share);
    EXPECT_EQ(default_swagger_ui_dir(bin), share);
}

}  // namespace
}  // namespace solar::core

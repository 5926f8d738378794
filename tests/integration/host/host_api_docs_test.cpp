// solar-host's API docs end to end: /openapi.json (the committed document) and /docs with its
// Swagger UI files, all without a key; every documented operation answered as documented.
#include <gtest/gtest.h>

#include "api_docs_check.hpp"
#include "host/host_process.hpp"

namespace solar::test {
namespace {

class host_api_docs_test : public ::testing::Test {
protected:
    void SetUp() override { host_.start(); }
    http_result get_without_key(const std::string& target) const {
        return http_request("127.0.0.1", host_.port(), http::verb::get, target);
    }
    host_process host_;
};

TEST_F(host_api_docs_test, serves_the_committed_document_without_a_key) {
    auto answer = get_without_key("/openapi.json");
    ASSERT_EQ(answer.status, 200u) << answer.body;
    EXPECT_EQ(answer.header("content-type"), "application/json");
    EXPECT_EQ(answer.json(), committed_document("solar-host"));
}

TEST_F(host_api_docs_test, every_documented_operation_is_answered_as_documented) {
    expect_served_as_documented(host_.port(), committed_document("solar-host"));
}

TEST_F(host_api_docs_test, docs_page_is_served_without_a_key) {
    auto page = get_without_key("/docs");
    if (!swagger_ui_installed(SOLAR_HOST_BIN)) {
        // Built without npm: 503 in solar-host's error shape, with the reason.
        ASSERT_EQ(page.status, 503u) << page.body;
        EXPECT_TRUE(page.json()["detail"].is_string());
        GTEST_SKIP(
        ) << "Swagger UI not installed in the build tree (npm ci --prefix docs/swagger-ui)";
    }
    ASSERT_EQ(page.status, 200u) << page.body;
    EXPECT_NE(page.body.find("<title>solar-host - Swagger UI</title>"), std::string::npos);
    EXPECT_EQ(get_without_key("/docs/swagger-ui-standalone-preset.js").status, 200u);
    auto missing = get_without_key("/docs/nope.js");
    EXPECT_EQ(missing.status, 404u);
    EXPECT_TRUE(missing.json()["detail"].is_string()) << missing.body;
}

}  // namespace
}  // namespace solar::test

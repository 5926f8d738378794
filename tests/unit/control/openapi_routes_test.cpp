// docs/openapi/solar-control.json against the routes solar-control really registers: the route
// table is built by the same add_all_routes run_control uses, over real services in a temp dir.
#include <solar/control/log_fanin.hpp>
#include <solar/control/openapi_document.hpp>
#include <solar/control/services.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "../openapi_route_check.hpp"

namespace solar::control {
namespace {

using nlohmann::json;

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += "\n  " + line;
    return out;
}

class openapi_routes_test : public ::testing::Test {
protected:
    openapi_routes_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-openapi-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
        config_.data_dir = dir_;
        store_ = std::make_unique<host_store>(dir_ / "solar-control.db");
        refresh_ = std::make_unique<refresher>(ioc_, db_pool_, *store_, pool_, registry_, config_);
        services_ = std::make_unique<control_services>(control_services{
            config_,
            db_pool_,
            *store_,
            pool_,
            registry_,
            *refresh_,
            proxy_,
            logs_,
            std::chrono::system_clock::now()});
        add_all_routes(routes_, *services_);
        doc_ = json::parse(openapi_document());
    }
    ~openapi_routes_test() override {
        db_pool_.join();
        std::filesystem::remove_all(dir_);
    }

    std::filesystem::path dir_;
    control_config config_;
    asio::io_context ioc_;
    asio::thread_pool db_pool_{1};
    std::unique_ptr<host_store> store_;
    core::upstream_pool pool_{ioc_.get_executor()};
    model_registry registry_;
    std::unique_ptr<refresher> refresh_;
    openai_proxy proxy_{registry_, pool_, config_};
    log_fanin logs_{ioc_, pool_};
    std::unique_ptr<control_services> services_;
    core::router routes_;
    json doc_;
};

TEST_F(openapi_routes_test, document_is_consistent_openapi_3_1) {
    auto problems = test::check_document(doc_);
    EXPECT_TRUE(problems.empty()) << joined(problems);
    EXPECT_EQ(doc_["info"]["title"], "solar-control");
}

TEST_F(openapi_routes_test, every_route_is_documented_and_every_documented_route_is_served) {
    ASSERT_GE(routes_.routes().size(), 20u);  // the real table, not an empty router
    auto problems = test::compare_routes_with_document(routes_, doc_);
    EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST_F(openapi_routes_test, the_documented_public_routes_are_the_probes_and_the_docs) {
    std::set<std::string> open;
    for (const auto& [key, operation] : test::documented_operations(doc_))
        if (test::is_public(doc_, operation)) open.insert(key.second);
    EXPECT_EQ(
        open,
        (std::set<std::string>{
            "/health", "/healthz", "/readyz", "/openapi.json", "/docs", "/docs/{file}"})
    );
}

TEST_F(openapi_routes_test, a_route_missing_from_the_document_is_reported) {
    doc_["paths"].erase("/v1/classify");
    auto problems = test::compare_routes_with_document(routes_, doc_);
    ASSERT_EQ(problems.size(), 1u) << joined(problems);
    EXPECT_EQ(problems[0], "undocumented route: POST /v1/classify");
}

TEST_F(openapi_routes_test, a_documented_route_the_server_lacks_is_reported) {
    doc_["paths"]["/v1/responses"]["post"] = doc_["paths"]["/v1/completions"]["post"];
    doc_["paths"]["/hosts/{id}"]["put"] = doc_["paths"]["/hosts/{id}"]["patch"];
    auto problems = test::compare_routes_with_document(routes_, doc_);
    EXPECT_EQ(
        problems,
        (std::vector<std::string>{
            "documented but not served: POST /v1/responses",
            "documented but not served: PUT /hosts/{id}"})
    );
}

TEST_F(openapi_routes_test, a_wrong_security_or_query_key_claim_is_reported) {
    doc_["paths"]["/v1/models"]["get"]["security"] = json::array();
    doc_["paths"]["/ws/logs"]["get"].erase("parameters");
    auto problems = test::compare_routes_with_document(routes_, doc_);
    EXPECT_EQ(problems.size(), 2u) << joined(problems);
}

TEST_F(openapi_routes_test, an_unresolved_reference_is_reported) {
    doc_["paths"]["/hosts"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
        json{{"$ref", "#/components/schemas/NoSuchSchema"}};
    auto problems = test::check_document(doc_);
    ASSERT_EQ(problems.size(), 1u) << joined(problems);
    EXPECT_EQ(problems[0], "unresolved $ref #/components/schemas/NoSuchSchema");
}

}  // namespace
}  // namespace solar::control

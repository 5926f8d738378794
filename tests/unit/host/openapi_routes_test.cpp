// docs/openapi/solar-host.json against the routes solar-host really registers: the route table
// is built by the same add_all_routes run_host uses, over a real instance manager in a temp dir.
#include <solar/host/instance_config.hpp>
#include <solar/host/instance_manager.hpp>
#include <solar/host/openapi_document.hpp>
#include <solar/host/routes.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>

#include "../openapi_route_check.hpp"

namespace solar::host {
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
        manager_ = std::make_unique<instance_manager>(ioc_, blocking_, config_);
        add_all_routes(routes_, *manager_);
        doc_ = json::parse(openapi_document());
    }
    ~openapi_routes_test() override {
        routes_ = {};
        manager_.reset();
        blocking_.join();
        std::filesystem::remove_all(dir_);
    }

    std::filesystem::path dir_;
    host_config config_;
    asio::io_context ioc_;
    asio::thread_pool blocking_{1};
    std::unique_ptr<instance_manager> manager_;
    core::router routes_;
    json doc_;
};

TEST_F(openapi_routes_test, document_is_consistent_openapi_3_1) {
    auto problems = test::check_document(doc_);
    EXPECT_TRUE(problems.empty()) << joined(problems);
    EXPECT_EQ(doc_["info"]["title"], "solar-host");
}

TEST_F(openapi_routes_test, every_route_is_documented_and_every_documented_route_is_served) {
    ASSERT_GE(routes_.routes().size(), 15u);  // the real table, not an empty router
    auto problems = test::compare_routes_with_document(routes_, doc_);
    EXPECT_TRUE(problems.empty()) << joined(problems);
}

TEST_F(openapi_routes_test, instance_config_is_one_of_the_four_backends_by_backend_type) {
    const auto& config = doc_["components"]["schemas"]["InstanceConfig"];
    ASSERT_EQ(config["oneOf"].size(), 4u);
    EXPECT_EQ(config["discriminator"]["propertyName"], "backend_type");
    std::set<std::string> mapped;
    for (const auto& [name, target] : config["discriminator"]["mapping"].items())
        mapped.insert(name);
    std::set<std::string> expected(std::begin(backend_types), std::end(backend_types));
    EXPECT_EQ(mapped, expected);
}

TEST_F(openapi_routes_test, a_route_missing_from_the_document_is_reported) {
    doc_["paths"]["/instances/{id}"].erase("put");
    auto problems = test::compare_routes_with_document(routes_, doc_);
    ASSERT_EQ(problems.size(), 1u) << joined(problems);
    EXPECT_EQ(problems[0], "undocumented route: PUT /instances/{id}");
}

TEST_F(openapi_routes_test, a_documented_route_the_server_lacks_is_reported) {
    doc_["paths"]["/instances/{id}/pause"] = doc_["paths"]["/instances/{id}/stop"];
    auto problems = test::compare_routes_with_document(routes_, doc_);
    ASSERT_EQ(problems.size(), 1u) << joined(problems);
    EXPECT_EQ(problems[0], "documented but not served: POST /instances/{id}/pause");
}

TEST_F(openapi_routes_test, a_wrong_security_or_query_key_claim_is_reported) {
    doc_["paths"]["/health"]["get"].erase("security");  // falls back to the secured default
    doc_["paths"]["/instances/{id}/logs"]["get"]["parameters"] = json::array();
    auto problems = test::compare_routes_with_document(routes_, doc_);
    EXPECT_EQ(problems.size(), 2u) << joined(problems);
}

}  // namespace
}  // namespace solar::host

// Tests for host request validation and the HTTP answers for host errors.
#include <solar/control/host_request.hpp>
#include <solar/core/json_error.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace solar::control {
namespace {

using json = nlohmann::json;
namespace http = core::http;

json valid_body() {
    return {{"name", "gpu-box-1"}, {"url", "http://192.168.1.100:8001"}, {"api_key", "host-key"}};
}

host_error create_error(const json& body) {
    auto parsed = parse_host_create(body);
    EXPECT_FALSE(parsed) << body.dump();
    return parsed ? host_error{} : parsed.error();
}

TEST(parse_host_create, accepts_the_seed_example) {
    auto parsed = parse_host_create(valid_body());
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->name, "gpu-box-1");
    EXPECT_EQ(parsed->url, "http://192.168.1.100:8001");
    EXPECT_EQ(parsed->api_key, "host-key");
    EXPECT_EQ(parsed->ca_file, "");
}

TEST(parse_host_create, trims_the_name_normalises_the_url_and_ignores_unknown_fields) {
    auto body = valid_body();
    body["name"] = "  spaced  ";
    body["url"] = "HTTPS://Box.Example/";
    body["ca_file"] = "/etc/solar/ca.pem";
    body["colour"] = "blue";
    auto parsed = parse_host_create(body);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->name, "spaced");
    EXPECT_EQ(parsed->url, "https://box.example:443");
    EXPECT_EQ(parsed->ca_file, "/etc/solar/ca.pem");
}

TEST(parse_host_create, body_must_be_an_object) {
    for (const auto& body : {json::array(), json("text"), json(nullptr), json(3)}) {
        auto error = create_error(body);
        EXPECT_EQ(error.code, host_errc::invalid_body);
        EXPECT_EQ(error.field, "");
    }
}

TEST(parse_host_create, missing_fields_are_named) {
    for (const char* field : {"name", "url", "api_key"}) {
        auto body = valid_body();
        body.erase(field);
        auto error = create_error(body);
        EXPECT_EQ(error.code, host_errc::missing_field);
        EXPECT_EQ(error.field, field);
        EXPECT_EQ(error.message, std::string(field) + ": is required");
    }
}

TEST(parse_host_create, wrong_types_are_named) {
    for (const char* field : {"name", "url", "api_key", "ca_file"}) {
        auto body = valid_body();
        body[field] = 42;
        auto error = create_error(body);
        EXPECT_EQ(error.code, host_errc::invalid_type) << field;
        EXPECT_EQ(error.field, field);
        EXPECT_EQ(error.message, std::string(field) + ": must be a string");
    }
    auto body = valid_body();
    body["name"] = nullptr;
    EXPECT_EQ(create_error(body).code, host_errc::invalid_type);
}

TEST(parse_host_create, name_rules) {
    auto body = valid_body();
    body["name"] = "   ";
    EXPECT_EQ(create_error(body).message, "name: must not be empty");
    body["name"] = std::string(201, 'n');
    EXPECT_EQ(create_error(body).message, "name: must be at most 200 characters");
    body["name"] = "line\nbreak";
    EXPECT_EQ(create_error(body).field, "name");
    // 200 two-byte characters are 200 characters, not 400.
    std::string accented;
    for (int i = 0; i < 200; ++i) accented += "\xc3\xa9";
    body["name"] = accented;
    EXPECT_TRUE(parse_host_create(body));
}

TEST(parse_host_create, url_rules_use_the_url_parser_messages) {
    auto body = valid_body();
    body["url"] = "ftp://box:21";
    auto error = create_error(body);
    EXPECT_EQ(error.code, host_errc::invalid_url);
    EXPECT_EQ(error.field, "url");
    EXPECT_EQ(error.message, "url: scheme must be http or https");
    body["url"] = "http://box:70000";
    EXPECT_EQ(create_error(body).message, "url: port must be a number from 1 to 65535");
    body["url"] = "";
    EXPECT_EQ(create_error(body).message, "url: must not be empty");
}

TEST(parse_host_create, api_key_rules) {
    auto body = valid_body();
    body["api_key"] = "";
    EXPECT_EQ(create_error(body).message, "api_key: must not be empty");
    body["api_key"] = "key\r\nX-Injected: 1";
    auto error = create_error(body);
    EXPECT_EQ(error.field, "api_key");
    EXPECT_EQ(error.code, host_errc::invalid_value);
    // The message never echoes the key.
    EXPECT_EQ(error.message.find("Injected"), std::string::npos);
}

TEST(parse_host_create, null_ca_file_means_none) {
    auto body = valid_body();
    body["ca_file"] = nullptr;
    auto parsed = parse_host_create(body);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->ca_file, "");
}

TEST(parse_host_patch, only_present_fields_are_set) {
    auto empty = parse_host_patch(json::object());
    ASSERT_TRUE(empty);
    EXPECT_FALSE(empty->name || empty->url || empty->api_key || empty->ca_file);

    auto patch = parse_host_patch({{"url", "http://[::1]:8001/"}, {"ca_file", nullptr}});
    ASSERT_TRUE(patch);
    EXPECT_FALSE(patch->name);
    EXPECT_EQ(patch->url, "http://[::1]:8001");
    EXPECT_EQ(patch->ca_file, "");
}

TEST(parse_host_patch, present_fields_follow_the_create_rules) {
    auto bad_name = parse_host_patch({{"name", ""}});
    ASSERT_FALSE(bad_name);
    EXPECT_EQ(bad_name.error().field, "name");
    auto bad_url = parse_host_patch({{"url", "http://h:0"}});
    ASSERT_FALSE(bad_url);
    EXPECT_EQ(bad_url.error().code, host_errc::invalid_url);
    auto null_key = parse_host_patch({{"api_key", nullptr}});
    ASSERT_FALSE(null_key);
    EXPECT_EQ(null_key.error().code, host_errc::invalid_type);
    EXPECT_FALSE(parse_host_patch(json::array()));
}

TEST(host_validation_error, produces_the_openai_error_body) {
    auto body = valid_body();
    body["url"] = "ftp://box";
    auto error = host_validation_error(parse_host_create(body).error());
    EXPECT_EQ(error.status, http::status::bad_request);
    EXPECT_EQ(
        json::parse(core::error_body(error)),
        json::parse(
            R"({"error":{"message":"url: scheme must be http or https","type":"invalid_request_error","param":"url","code":"invalid_url"}})"
        )
    );
}

TEST(host_validation_error, maps_each_code_to_a_status) {
    auto duplicate = host_validation_error({host_errc::duplicate_url, "url", "url: taken"});
    EXPECT_EQ(duplicate.status, http::status::conflict);
    EXPECT_EQ(duplicate.code, "duplicate_url");
    EXPECT_EQ(duplicate.param, "url");

    host_error missing{host_errc::not_found, "", "Host 'x' not found"};
    EXPECT_TRUE(is_not_found(missing));
    auto not_found = host_validation_error(missing);
    EXPECT_EQ(not_found.status, http::status::not_found);
    EXPECT_EQ(not_found.code, "host_not_found");

    auto body =
        host_validation_error({host_errc::invalid_body, "", "request body must be a JSON object"});
    EXPECT_EQ(body.status, http::status::bad_request);
    EXPECT_EQ(body.param, std::nullopt);

    auto type = host_validation_error({host_errc::invalid_type, "name", "name: must be a string"});
    EXPECT_EQ(type.code, "invalid_type");
    EXPECT_EQ(type.param, "name");
}

TEST(host_error, value_on_error_throws_with_the_message) {
    auto parsed = parse_host_create(json::array());
    EXPECT_THROW(parsed.value(), boost::system::system_error);
}

}  // namespace
}  // namespace solar::control

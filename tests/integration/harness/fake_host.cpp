// The test's handle on a solar-test-host process: launching it and its /_test calls.
#include "harness/fake_host.hpp"

#include <stdexcept>

#ifndef SOLAR_TEST_HOST_BIN
#error "SOLAR_TEST_HOST_BIN must name the solar-test-host binary (see tests/CMakeLists.txt)"
#endif

namespace solar::test {

using nlohmann::json;

fake_host::fake_host() = default;

fake_host::~fake_host() = default;

void fake_host::start(const std::string& api_key, unsigned short port) {
    api_key_ = api_key;
    launch(port);
}

void fake_host::launch(unsigned short port) {
    process_.reset();  // kills and reaps an earlier run first
    std::string log = "solar-test-host-" + std::to_string(++launches_) + ".log";
    process_ = std::make_unique<child_process>(
        std::vector<std::string>{
            SOLAR_TEST_HOST_BIN,
            "--port",
            std::to_string(port),
            "--api-key",
            api_key_,
            "--bind",
            "127.0.0.1",
            "--state-file",
            dir_.file("state.json").string()},
        dir_.file(log)
    );
    auto match = process_->wait_for_output_line(std::regex(R"(listening on [0-9.]+:(\d+))"));
    if (!match) {
        throw std::runtime_error("solar-test-host did not start: " + process_->output());
    }
    port_ = static_cast<unsigned short>(std::stoi((*match)[1]));
}

void fake_host::stop() {
    if (process_) process_->terminate();
}

void fake_host::restart_same_port() {
    if (process_) process_->kill();
    launch(port_);
}

std::string fake_host::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

http_result fake_host::call(http::verb method, const std::string& target, std::string body) const {
    return http_request(
        "127.0.0.1", port_, method, target, std::move(body), {{"X-API-Key", api_key_}}
    );
}

json fake_host::checked(http_result result, const std::string& what) const {
    if (result.status != 200) {
        throw std::runtime_error(
            what + " failed: " + std::to_string(result.status) + " " + result.error + " " +
            result.body
        );
    }
    return result.json();
}

json fake_host::add_instance(const json& instance) {
    return checked(call(http::verb::post, "/_test/instances", instance.dump()), "add_instance");
}

json fake_host::patch_instance(const std::string& id, const json& fields) {
    return checked(
        call(http::verb::patch, "/_test/instances/" + id, fields.dump()), "patch_instance"
    );
}

void fake_host::remove_instance(const std::string& id) {
    checked(call(http::verb::delete_, "/_test/instances/" + id), "remove_instance");
}

unsigned short fake_host::instance_port(const std::string& id) const {
    for (const auto& instance : checked(call(http::verb::get, "/_test/instances"), "instances")) {
        if (instance.at("id") == id) return instance.at("port").get<unsigned short>();
    }
    throw std::runtime_error("no instance " + id);
}

void fake_host::log(
    const std::string& instance_id, const std::vector<std::string>& lines, const std::string& stream
) {
    json body = {{"instance_id", instance_id}, {"lines", lines}, {"stream", stream}};
    checked(call(http::verb::post, "/_test/logs", body.dump()), "log");
}

json fake_host::requests(const std::string& instance_id) const {
    std::string target = "/_test/requests";
    if (!instance_id.empty()) target += "?instance_id=" + instance_id;
    return checked(call(http::verb::get, target), "requests");
}

void fake_host::clear_requests() {
    checked(call(http::verb::delete_, "/_test/requests"), "clear_requests");
}

json fake_host::calls() const { return checked(call(http::verb::get, "/_test/calls"), "calls"); }

json fake_host::in_flight() const {
    return checked(call(http::verb::get, "/_test/in_flight"), "in_flight");
}

json fake_host::instances() const {
    return checked(call(http::verb::get, "/instances"), "instances");
}

void fake_host::set_failing(bool failing) {
    checked(
        call(http::verb::post, "/_test/host_status", json{{"fail", failing}}.dump()), "set_failing"
    );
}

}  // namespace solar::test

// Hosts reached over https: certificates are verified, against a per-host CA file when given.
// The TLS peer is the real `openssl s_server`, serving a static GET /instances.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "harness/child_process.hpp"
#include "harness/control_process.hpp"
#include "harness/temp_dir.hpp"
#include "harness/wait.hpp"

namespace solar::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class tls_host_test : public ::testing::Test {
protected:
    void SetUp() override {
        if (std::system("command -v openssl >/dev/null 2>&1") != 0)
            GTEST_SKIP() << "openssl not installed";
        auto cert = dir_.file("cert.pem").string();
        auto key = dir_.file("key.pem").string();
        std::string make_cert =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
            "-addext subjectAltName=IP:127.0.0.1 -keyout " +
            key + " -out " + cert + " >/dev/null 2>&1";
        ASSERT_EQ(std::system(make_cert.c_str()), 0);
        // s_server -WWW answers GET /<path> with the file of that name in its working directory.
        std::ofstream(dir_.file("instances"))
            << json::array({{{"id", "i-1"},
                             {"config", {{"alias", "secure:1b"}, {"api_key", "k"}}},
                             {"status", "running"},
                             {"port", 1}}}
               ).dump();
        for (int attempt = 0; attempt < 5 && !server_; ++attempt) {
            port_ = static_cast<unsigned short>(20000 + (::getpid() * 7 + attempt * 131) % 30000);
            auto script = "cd " + dir_.path().string() +
                          " && exec openssl s_server -quiet -WWW -accept " + std::to_string(port_) +
                          " -cert " + cert + " -key " + key;
            server_ = std::make_unique<child_process>(
                std::vector<std::string>{"/bin/sh", "-c", script}, dir_.file("s_server.log")
            );
            bool listening = wait_until(
                [&] {
                    return http_request("127.0.0.1", port_, http::verb::get, "/", "", {}, 200ms)
                               .error.find("refused") == std::string::npos;
                },
                3s
            );
            if (!listening || !server_->running()) server_.reset();
        }
        ASSERT_TRUE(server_) << "openssl s_server did not start";
        control_.start("gateway-key");
    }

    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

    temp_dir dir_;
    std::unique_ptr<child_process> server_;
    unsigned short port_ = 0;
    control_process control_;
};

TEST_F(tls_host_test, host_with_its_ca_file_is_verified_and_polled) {
    auto answer = control_.post(
        "/hosts",
        {{"name", "secure"},
         {"url", url()},
         {"api_key", "k"},
         {"ca_file", dir_.file("cert.pem").string()}}
    );
    ASSERT_EQ(answer.status, 201) << answer.body;
    auto host = answer.json();
    EXPECT_EQ(host["status"], "online") << host.dump();
    EXPECT_EQ(host["instance_count"], 1);
    EXPECT_TRUE(control_.wait_for_model("secure:1b", 1));
}

TEST_F(tls_host_test, untrusted_certificate_keeps_the_host_offline) {
    auto answer = control_.post("/hosts", {{"name", "secure"}, {"url", url()}, {"api_key", "k"}});
    ASSERT_EQ(answer.status, 201) << answer.body;
    auto host = answer.json();
    EXPECT_EQ(host["status"], "offline");
    EXPECT_TRUE(host["last_error"].is_string());
    auto models = control_.get("/v1/models").json();
    EXPECT_TRUE(models["data"].empty());
}

}  // namespace
}  // namespace solar::test

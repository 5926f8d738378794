// Model resolution and hub downloads against an in-process fake hub on loopback: the revision
// API, /resolve/ with a 302 to a "CDN" path, the HF_TOKEN check, sharded weights, and the
// cache layout it leaves (blobs/, snapshots/<sha>/ links, refs/main).
#include <solar/core/logging.hpp>
#include <solar/runner/hub_download.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

namespace solar::runner {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;

const fs::path data_dir = fs::path(__FILE__).parent_path() / ".." / ".." / "data";
const std::string sha = "0123456789abcdef0123456789abcdef01234567";

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Serves `files` as repository org/tiny at revision `sha`; requires "Bearer tok" on the hub
// paths (not on the CDN path, as a signed URL would not need it).
class fake_hub {
public:
    explicit fake_hub(std::map<std::string, std::string> files) : files_(std::move(files)) {
        acceptor_.open(asio::ip::tcp::v4());
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~fake_hub() {
        asio::post(ioc_, [this] { ioc_.stop(); });
        thread_.join();
    }
    std::string endpoint() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    }
    std::atomic<int> file_downloads{0};
    std::atomic<int> unauthorized{0};

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
            asio::co_spawn(ioc_, session(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> session(asio::ip::tcp::socket socket) {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            auto [ec, n] =
                co_await http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            auto res = answer(req);
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            auto [wec, wn] =
                co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            if (wec || !req.keep_alive()) co_return;
        }
    }

    http::response<http::string_body> answer(const http::request<http::string_body>& req) {
        std::string target(req.target());
        http::response<http::string_body> res{http::status::ok, 11};
        if (target.starts_with("/cdn/")) {
            auto it = files_.find(target.substr(5, target.find('?') - 5));
            if (it == files_.end()) {
                res.result(http::status::not_found);
                return res;
            }
            ++file_downloads;
            res.body() = it->second;
            return res;
        }
        if (req[http::field::authorization] != "Bearer tok") {
            ++unauthorized;
            res.result(http::status::unauthorized);
            res.body() = R"({"error":"Invalid credentials"})";
            return res;
        }
        if (target == "/api/models/org/tiny/revision/main") {
            json siblings = json::array();
            for (const auto& [name, body] : files_) siblings.push_back({{"rfilename", name}});
            siblings.push_back({{"rfilename", "README.md"}});
            res.body() = json{{"id", "org/tiny"}, {"sha", sha}, {"siblings", siblings}}.dump();
            return res;
        }
        std::string prefix = "/org/tiny/resolve/" + sha + "/";
        if (target.starts_with(prefix)) {
            auto name = target.substr(prefix.size());
            if (!files_.count(name)) {
                res.result(http::status::not_found);
                return res;
            }
            res.result(http::status::found);
            res.set(http::field::location, "/cdn/" + name + "?signature=abc");
            if (name.ends_with(".safetensors")) {
                res.set(
                    "X-Linked-Etag",
                    "\"lfs-" + std::to_string(files_[name].size()) + name.substr(6, 5) + "\""
                );
            } else {
                res.set(http::field::etag, "W/\"git-" + name + "\"");
            }
            return res;
        }
        res.result(http::status::not_found);
        return res;
    }

    std::map<std::string, std::string> files_;
    asio::io_context ioc_;
    asio::ip::tcp::acceptor acceptor_{ioc_};
    std::thread thread_;
};

std::map<std::string, std::string> tiny_repo() {
    auto model = data_dir / "models" / "bert_classifier";
    std::map<std::string, std::string> files;
    for (const char* name :
         {"config.json",
          "model.safetensors.index.json",
          "model-00001-of-00002.safetensors",
          "model-00002-of-00002.safetensors"}) {
        files[name] = read_all(model / name);
    }
    files["tokenizer.json"] =
        read_all(data_dir / "tokenizers" / "bert-base-uncased" / "tokenizer.json");
    files["tokenizer_config.json"] = R"({"do_lower_case":true})";
    return files;
}

struct cache_dir {
    cache_dir() {
        path = fs::temp_directory_path() /
               ("solar-hub-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~cache_dir() { fs::remove_all(path); }
    fs::path path;
    static inline int counter = 0;
};

TEST(model_resolver, settings_from_env) {
    std::map<std::string, std::string> env{
        {"HF_HOME", "/h"},
        {"HF_ENDPOINT", "http://x:1/"},
        {"HF_TOKEN", "t"},
        {"HF_HUB_OFFLINE", "1"}};
    auto s = hub_settings_from_env([&](const std::string& n) -> std::optional<std::string> {
        auto it = env.find(n);
        return it == env.end() ? std::nullopt : std::optional(it->second);
    });
    EXPECT_EQ(s.cache_dir, fs::path("/h/hub"));
    EXPECT_EQ(s.endpoint, "http://x:1");
    EXPECT_EQ(s.token, "t");
    EXPECT_TRUE(s.offline);
    env["HF_HUB_CACHE"] = "/c";
    env.erase("HF_ENDPOINT");
    s = hub_settings_from_env([&](const std::string& n) -> std::optional<std::string> {
        auto it = env.find(n);
        return it == env.end() ? std::nullopt : std::optional(it->second);
    });
    EXPECT_EQ(s.cache_dir, fs::path("/c"));
    EXPECT_EQ(s.endpoint, "https://huggingface.co");
}

TEST(model_resolver, ids_and_layout) {
    EXPECT_TRUE(is_hub_id("sentence-transformers/all-MiniLM-L6-v2"));
    EXPECT_TRUE(is_hub_id("bert-base-uncased"));
    EXPECT_FALSE(is_hub_id("../etc"));
    EXPECT_FALSE(is_hub_id("a/b/c"));
    EXPECT_FALSE(is_hub_id(""));
    EXPECT_EQ(repo_cache_dir("/c", "org/name"), fs::path("/c/models--org--name"));
    auto missing = missing_model_files(data_dir / "models" / "bert_classifier");
    EXPECT_EQ(missing, (std::vector<std::string>{"tokenizer.json"}));  // shards all present
}

TEST(hub_download, plans_and_helpers) {
    auto plan = plan_repo_files(
        {"config.json", "tokenizer.json", "model.safetensors.index.json", "pytorch_model.bin"}
    );
    EXPECT_TRUE(plan.sharded);
    EXPECT_EQ(plan.files.back(), "model.safetensors.index.json");
    EXPECT_THROW(
        plan_repo_files({"config.json", "tokenizer.json", "pytorch_model.bin"}), hub_error
    );
    EXPECT_THROW(plan_repo_files({"config.json", "model.safetensors"}), hub_error);
    EXPECT_EQ(
        index_shards(R"({"weight_map":{"a":"s1","b":"s2","c":"s1"}})"),
        (std::vector<std::string>{"s1", "s2"})
    );
    EXPECT_THROW(index_shards(R"({"weight_map":{"a":"../x"}})"), hub_error);
    auto abs = resolve_location("https://cdn.example/x/y?sig=1", "http://hub");
    EXPECT_EQ(abs.origin, "https://cdn.example");
    EXPECT_EQ(abs.target, "/x/y?sig=1");
    EXPECT_EQ(resolve_location("/a", "http://hub:1").origin, "http://hub:1");
    EXPECT_EQ(normalize_etag("W/\"abc\""), "abc");
    progress_steps steps(100);
    EXPECT_TRUE(steps.should_report(0));
    EXPECT_FALSE(steps.should_report(5));
    EXPECT_TRUE(steps.should_report(10));
    EXPECT_FALSE(steps.should_report(19));
    EXPECT_TRUE(steps.should_report(100));
    EXPECT_FALSE(steps.should_report(100));
}

TEST(hub_download, downloads_into_cache_layout_then_resolves_offline) {
    auto files = tiny_repo();
    fake_hub hub(files);
    cache_dir cache;
    hub_settings settings;
    settings.endpoint = hub.endpoint();
    settings.token = "tok";
    settings.cache_dir = cache.path;
    auto log = core::component_logger("hub-test");

    auto before = resolve_model("org/tiny", settings);
    EXPECT_EQ(before.kind, resolution_kind::needs_download);

    auto snapshot = download_model("org/tiny", settings, *log);
    auto repo = cache.path / "models--org--tiny";
    EXPECT_EQ(snapshot, repo / "snapshots" / sha);
    EXPECT_EQ(read_all(repo / "refs" / "main"), sha);
    for (const auto& [name, body] : files) {
        EXPECT_TRUE(fs::is_symlink(snapshot / name)) << name;
        EXPECT_EQ(read_all(snapshot / name), body) << name;
    }
    EXPECT_TRUE(fs::exists(repo / "blobs" / "git-config.json"));
    EXPECT_EQ(hub.file_downloads.load(), int(files.size()));
    for (const auto& entry : fs::directory_iterator(repo / "blobs")) {
        EXPECT_FALSE(entry.path().string().ends_with(".incomplete"));
    }

    // Now complete in the cache: resolved without the network, even offline.
    settings.offline = true;
    auto after = resolve_model("org/tiny", settings);
    EXPECT_EQ(after.kind, resolution_kind::cached_snapshot);
    EXPECT_EQ(after.dir, snapshot);

    // A second download finds every file in place and fetches none.
    settings.offline = false;
    download_model("org/tiny", settings, *log);
    EXPECT_EQ(hub.file_downloads.load(), int(files.size()));
}

TEST(hub_download, wrong_token_offline_and_unknown_model_fail_clearly) {
    fake_hub hub(tiny_repo());
    cache_dir cache;
    hub_settings settings;
    settings.endpoint = hub.endpoint();
    settings.cache_dir = cache.path;
    auto log = core::component_logger("hub-test");
    settings.token = "wrong";
    try {
        download_model("org/tiny", settings, *log);
        FAIL() << "expected hub_error";
    } catch (const hub_error& e) {
        EXPECT_NE(std::string(e.what()).find("401"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("wrong"), std::string::npos);  // never the token
    }
    EXPECT_GE(hub.unauthorized.load(), 1);
    settings.token = "tok";
    EXPECT_THROW(download_model("org/other", settings, *log), hub_error);
    settings.offline = true;
    EXPECT_THROW(download_model("org/tiny", settings, *log), hub_error);
    EXPECT_FALSE(fs::exists(cache.path / "models--org--tiny" / "refs" / "main"));
}

}  // namespace
}  // namespace solar::runner

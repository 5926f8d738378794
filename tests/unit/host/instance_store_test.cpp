// Tests for config.json: round trip, atomic saves, corrupt and legacy files, read errors.
#include <solar/host/instance_store.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace solar::host {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// 2025-02-20T10:00:00.250Z
const auto test_now = std::chrono::system_clock::time_point(1740045600s + 250ms);

class instance_store_test : public ::testing::Test {
protected:
    instance_store_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-store-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
        file_ = dir_ / "config.json";
    }
    ~instance_store_test() override { std::filesystem::remove_all(dir_); }

    void write(const std::string& text) {
        std::ofstream out(file_);
        out << text;
    }
    std::string read(const std::filesystem::path& path) const {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
            out.push_back(entry.path().filename().string());
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    std::filesystem::path dir_;
    std::filesystem::path file_;
};

stored_instance llama_instance(std::string id) {
    llamacpp_config config;
    config.model = "/models/m.gguf";
    config.alias = "llama:8b";
    config.api_key = "instance-key";
    config.temp = 0.7;
    stored_instance instance;
    instance.id = std::move(id);
    instance.config = config;
    instance.desired = desired_state::running;
    instance.port = 3500;
    instance.created_at = "2025-02-20T09:00:00.000Z";
    instance.updated_at = "2025-02-20T09:30:00.000Z";
    return instance;
}

TEST(instance_store_format, ids_that_could_leave_the_logs_directory_are_refused) {
    EXPECT_TRUE(is_safe_instance_id("0f8e2c1a-1b2c-4d5e-8f90-123456789abc"));
    EXPECT_TRUE(is_safe_instance_id("legacy_1.v2"));
    EXPECT_FALSE(is_safe_instance_id(""));
    EXPECT_FALSE(is_safe_instance_id(".."));
    EXPECT_FALSE(is_safe_instance_id("../../etc/passwd"));
    EXPECT_FALSE(is_safe_instance_id("a/b"));
    EXPECT_FALSE(is_safe_instance_id(".hidden"));
    EXPECT_FALSE(is_safe_instance_id(std::string(129, 'a')));
    auto parsed = parse_store_document(
        nlohmann::json{
            {"version", 1},
            {"instances", {{{"id", "../x"}, {"config", nlohmann::json::object()}}}}},
        "2025-01-01T00:00:00.000Z"
    );
    EXPECT_FALSE(parsed.has_value());
}

TEST(instance_store_format, utc_timestamp_has_milliseconds_and_z) {
    EXPECT_EQ(utc_timestamp(test_now), "2025-02-20T10:00:00.250Z");
}

TEST_F(instance_store_test, missing_file_is_created_empty) {
    instance_store store(file_);
    auto loaded = store.load(test_now);
    EXPECT_TRUE(loaded.created);
    EXPECT_TRUE(loaded.instances.empty());
    EXPECT_FALSE(loaded.set_aside);
    EXPECT_EQ(json::parse(read(file_)), (json{{"version", 1}, {"instances", json::array()}}));
    struct stat st {};
    ASSERT_EQ(::stat(file_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // it will hold API keys

    auto again = store.load(test_now);
    EXPECT_FALSE(again.created);
}

TEST_F(instance_store_test, round_trip_keeps_every_field) {
    instance_store store(file_);
    hf_classification_config hf;
    hf.model_id = "m";
    hf.alias = "sentiment";
    hf.api_key = "k2";
    hf.labels = std::vector<std::string>{"neg", "pos"};
    stored_instance second;
    second.id = "b";
    second.config = hf;
    second.created_at = second.updated_at = "2025-02-20T09:00:00.000Z";
    store.save({llama_instance("a"), second});

    auto loaded = store.load(test_now);
    ASSERT_EQ(loaded.instances.size(), 2u);
    const auto& a = loaded.instances[0];
    EXPECT_EQ(a.id, "a");
    ASSERT_TRUE(a.config);
    EXPECT_EQ(to_json(*a.config), to_json(*llama_instance("a").config));
    EXPECT_EQ(a.desired, desired_state::running);
    EXPECT_EQ(a.port, 3500);
    EXPECT_EQ(a.created_at, "2025-02-20T09:00:00.000Z");
    EXPECT_EQ(a.updated_at, "2025-02-20T09:30:00.000Z");
    const auto& b = loaded.instances[1];
    EXPECT_EQ(b.desired, desired_state::stopped);
    EXPECT_FALSE(b.port);
    ASSERT_TRUE(b.config);
    EXPECT_EQ(std::get<hf_classification_config>(*b.config).labels, hf.labels);

    auto document = json::parse(read(file_));
    EXPECT_EQ(document["version"], 1);
    EXPECT_EQ(document["instances"][0]["config"]["api_key"], "instance-key");
    EXPECT_EQ(document["instances"][0]["desired"], "running");
    EXPECT_TRUE(document["instances"][1]["port"].is_null());
}

TEST_F(instance_store_test, saving_leaves_no_temporary_files) {
    instance_store store(file_);
    store.save({llama_instance("a")});
    store.save({llama_instance("a"), llama_instance("b")});
    EXPECT_EQ(names(), std::vector<std::string>{"config.json"});
}

TEST_F(instance_store_test, unparsable_file_is_set_aside_not_overwritten) {
    const std::string garbage = "{\"version\": 1, \"instances\": [";
    write(garbage);
    instance_store store(file_);
    auto loaded = store.load(test_now);
    EXPECT_TRUE(loaded.instances.empty());
    ASSERT_TRUE(loaded.set_aside);
    EXPECT_EQ(loaded.set_aside->filename(), "config.json.corrupt-20250220T100000Z");
    EXPECT_EQ(loaded.problem, "the file is not valid JSON");
    EXPECT_EQ(read(*loaded.set_aside), garbage);
    // A fresh, empty file takes its place.
    EXPECT_EQ(json::parse(read(file_))["instances"], json::array());

    // A second corrupt file in the same second gets its own name.
    write("nope");
    auto second = store.load(test_now);
    ASSERT_TRUE(second.set_aside);
    EXPECT_EQ(second.set_aside->filename(), "config.json.corrupt-20250220T100000Z-2");
    EXPECT_EQ(read(*loaded.set_aside), garbage);
}

TEST_F(instance_store_test, wrong_shapes_are_set_aside) {
    instance_store store(file_);
    for (const char* text :
         {"",
          "42",
          "{\"version\":2,\"instances\":[]}",
          "{\"version\":1}",
          "{\"version\":1,\"instances\":{\"a\":{}}}",
          "{\"version\":1,\"instances\":[{\"config\":{}}]}",
          "{\"version\":1,\"instances\":[{\"id\":\"a\"},{\"id\":\"a\"}]}"}) {
        write(text);
        auto loaded = store.load(test_now);
        EXPECT_TRUE(loaded.set_aside) << text;
        EXPECT_FALSE(loaded.problem.empty()) << text;
        EXPECT_TRUE(loaded.instances.empty()) << text;
        EXPECT_EQ(read(*loaded.set_aside), text);
    }
}

TEST_F(instance_store_test, invalid_config_is_kept_verbatim) {
    json bad_config = {{"model", "/m.gguf"}, {"alias", "x"}, {"api_key", "k"}, {"temp", 7}};
    write(json{
        {"version", 1},
        {"instances",
         {{{"id", "a"},
           {"config", bad_config},
           {"desired", "running"},
           {"port", 3500},
           {"created_at", "t1"},
           {"updated_at", "t2"}}}}}
              .dump());
    instance_store store(file_);
    auto loaded = store.load(test_now);
    ASSERT_FALSE(loaded.set_aside);
    ASSERT_EQ(loaded.instances.size(), 1u);
    const auto& a = loaded.instances[0];
    EXPECT_FALSE(a.config);
    EXPECT_EQ(a.raw_config, bad_config);
    EXPECT_EQ(
        a.invalid_reason, "stored config is invalid: config.temp: Input should be from 0 to 2"
    );
    EXPECT_EQ(config_json(a), bad_config);

    store.save(loaded.instances);
    EXPECT_EQ(json::parse(read(file_))["instances"][0]["config"], bad_config);
}

TEST_F(instance_store_test, missing_model_file_does_not_invalidate_on_load) {
    auto instance = llama_instance("a");
    std::get<llamacpp_config>(*instance.config).model = "/surely/not/here.gguf";
    instance_store store(file_);
    store.save({instance});
    auto loaded = store.load(test_now);
    ASSERT_EQ(loaded.instances.size(), 1u);
    EXPECT_TRUE(loaded.instances[0].config);
}

TEST_F(instance_store_test, python_tool_list_format_is_read) {
    write(R"({"instances": [
        {"id": "a", "config": {"model": "/m.gguf", "alias": "x", "api_key": "k", "temp": 0.7},
         "status": "running", "port": 3500, "pid": 123, "created_at": "2025-01-01T00:00:00Z",
         "error_message": null, "retry_count": 0},
        {"id": "b", "config": {"model": "/m.gguf", "alias": "y", "api_key": "k"},
         "status": "failed", "port": null}
    ]})");
    instance_store store(file_);
    auto loaded = store.load(test_now);
    EXPECT_TRUE(loaded.legacy_format);
    ASSERT_EQ(loaded.instances.size(), 2u);
    EXPECT_EQ(loaded.instances[0].desired, desired_state::running);
    EXPECT_EQ(loaded.instances[0].port, 3500);
    EXPECT_EQ(loaded.instances[0].created_at, "2025-01-01T00:00:00Z");
    EXPECT_EQ(loaded.instances[0].updated_at, "2025-01-01T00:00:00Z");
    ASSERT_TRUE(loaded.instances[0].config);
    EXPECT_EQ(backend_type_of(*loaded.instances[0].config), "llamacpp");
    EXPECT_EQ(loaded.instances[1].desired, desired_state::stopped);
    EXPECT_EQ(loaded.instances[1].created_at, "2025-02-20T10:00:00.250Z");

    store.save(loaded.instances);
    auto reloaded = store.load(test_now);
    EXPECT_FALSE(reloaded.legacy_format);
    EXPECT_EQ(reloaded.instances.size(), 2u);
}

TEST_F(instance_store_test, python_tool_object_keyed_by_id_is_read) {
    write(R"({"instances": {
        "a": {"config": {"model": "/m.gguf", "alias": "x", "api_key": "k"}, "status": "starting"},
        "b": {"id": "b", "config": {"backend_type": "huggingface_causal", "model_id": "m",
              "alias": "y", "api_key": "k"}, "status": "stopped"}
    }})");
    auto loaded = instance_store(file_).load(test_now);
    EXPECT_TRUE(loaded.legacy_format);
    ASSERT_EQ(loaded.instances.size(), 2u);
    EXPECT_EQ(loaded.instances[0].id, "a");
    EXPECT_EQ(loaded.instances[0].desired, desired_state::running);
    EXPECT_EQ(loaded.instances[1].id, "b");
    ASSERT_TRUE(loaded.instances[1].config);
    EXPECT_EQ(backend_type_of(*loaded.instances[1].config), "huggingface_causal");
}

TEST_F(instance_store_test, python_tool_empty_file_shapes) {
    for (const char* text : {"{}", "[]", "{\"instances\": []}"}) {
        write(text);
        auto loaded = instance_store(file_).load(test_now);
        EXPECT_FALSE(loaded.set_aside) << text;
        EXPECT_TRUE(loaded.instances.empty()) << text;
    }
}

TEST_F(instance_store_test, unreadable_file_throws_and_stays) {
    // A directory in the file's place fails the read as EISDIR, even for root.
    std::filesystem::create_directory(file_);
    instance_store store(file_);
    EXPECT_THROW(store.load(test_now), std::system_error);
    EXPECT_TRUE(std::filesystem::is_directory(file_));
    EXPECT_EQ(names(), std::vector<std::string>{"config.json"});
}

TEST_F(instance_store_test, failed_save_throws_and_keeps_the_old_file) {
    instance_store store(dir_ / "no-such-dir" / "config.json");
    EXPECT_THROW(store.save({llama_instance("a")}), std::system_error);
}

}  // namespace
}  // namespace solar::host

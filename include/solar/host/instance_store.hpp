// The instances' persistent record, DATA_DIR/config.json, replaced atomically on every save.
#pragma once

#include <solar/host/instance_config.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace solar::host {

// Whether boot should start the instance: it was running (or starting) at shutdown.
enum class desired_state { stopped, running };

std::string_view to_string(desired_state state);

// One instance as config.json stores it.
struct stored_instance {
    std::string id;
    // nullopt when the stored config no longer validates; it is then kept verbatim in
    // raw_config (and written back unchanged) so no data is lost, and the instance is shown
    // as failed with invalid_reason until a PUT replaces the config.
    std::optional<instance_config> config;
    nlohmann::json raw_config;
    std::string invalid_reason;
    desired_state desired = desired_state::stopped;
    std::optional<std::uint16_t> port;  // last assigned port, reused when still free
    std::string created_at;             // UTC, utc_timestamp() format
    std::string updated_at;
};

// The config as it is written: to_json(*config), or raw_config when invalid.
nlohmann::json config_json(const stored_instance& instance);

// Whether an id can name a file in logs/: 1 to 128 of [A-Za-z0-9._-], not starting with '.'.
bool is_safe_instance_id(std::string_view id);

// "2025-02-20T10:00:00.123Z".
std::string utc_timestamp(std::chrono::system_clock::time_point time);

// The file's document: {"version":1,"instances":[{"id","config","desired","port",
// "created_at","updated_at"}]}.
nlohmann::json store_document(const std::vector<stored_instance>& instances);

// Why a document cannot be used: a sentence for the log.
struct store_format_error {
    std::string message;
};

// Lets result<T, store_format_error>::value() throw std::runtime_error; found by ADL.
[[noreturn]] void throw_exception_from_error(
    const store_format_error& e, const boost::source_location& loc
);

// A document read back.
struct parsed_store {
    std::vector<stored_instance> instances;
    bool legacy_format = false;  // the Python tool's shape (no "version")
};

// Reads a document: this format, or the Python tool's (no "version"; "instances" a list or an
// object keyed by id; "status" instead of "desired"; configs without backend_type).
// Configs are validated without file checks. Fails with a sentence when the shape is wrong
// (not an object, unknown version, instances not a list, an entry without an id, a
// duplicate id); missing timestamps become `now`.
boost::system::result<parsed_store, store_format_error> parse_store_document(
    const nlohmann::json& document, std::string_view now
);

// What loading found.
struct store_load_result {
    std::vector<stored_instance> instances;
    bool created = false;        // there was no file; an empty one was written
    bool legacy_format = false;  // read from the Python tool's shape; the next save converts it
    std::optional<std::filesystem::path> set_aside;  // where an unusable file was moved
    std::string problem;                             // why it was unusable (for the log)
};

// DATA_DIR/config.json. Calls must not overlap (the manager serialises them).
class instance_store {
public:
    explicit instance_store(std::filesystem::path file);

    const std::filesystem::path& file() const { return file_; }

    // Loads the instances. A missing file is created empty. A file that does not parse or has
    // the wrong shape is renamed to "<file>.corrupt-<UTC time>" (never overwritten), reported
    // in set_aside / problem, and the result is empty. Throws std::system_error when the file
    // cannot be read, created or renamed.
    store_load_result load(std::chrono::system_clock::time_point now) const;

    // Writes all instances atomically (temp file, fsync, rename, fsync dir) with mode 0600,
    // as the file holds API keys. Throws std::system_error; the old file is then untouched.
    void save(const std::vector<stored_instance>& instances) const;

private:
    std::filesystem::path file_;
};

}  // namespace solar::host

// API keys: constant-time comparison, generation, and the key file kept in the data directory.
#pragma once

#include <spdlog/logger.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace solar::core {

// True when `presented` equals `expected`. The time taken depends only on the length of
// `presented` (which its sender knows): never on where the two first differ, nor on the content
// or length of `expected`, so a caller cannot learn the configured key or its length by timing.
bool constant_time_equals(std::string_view presented, std::string_view expected);

// A new key: "solar-" followed by 64 lowercase hex digits from 32 random bytes.
// Throws std::runtime_error when no randomness is available.
std::string generate_api_key();

// Where the key in use came from.
struct key_source {
    std::string key;
    std::filesystem::path file;
    bool generated = false;             // created by this call rather than read
    bool insecure_permissions = false;  // the existing file is readable or writable by others
};

// Reads data_dir/file_name (surrounding whitespace trimmed) when it exists; otherwise generates
// a key and writes it atomically with mode 0600. data_dir must exist. Throws std::system_error
// when the file cannot be read or written, std::runtime_error when an existing file is empty.
key_source load_or_create_key_file(
    const std::filesystem::path& data_dir, std::string_view file_name
);

// The key a daemon runs with: `configured` when set; otherwise, so that no daemon ever runs
// open, the key kept in data_dir/api_key (generated once, mode 0600), with a log line saying
// where it is (never the key itself). nullopt, after a critical log line, when the file cannot
// be read or written.
std::optional<std::string> resolve_api_key(
    const std::string& configured, const std::filesystem::path& data_dir, spdlog::logger& log
);

}  // namespace solar::core

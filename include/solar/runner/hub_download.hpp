// Downloads a model's files from the HuggingFace hub (or HF_ENDPOINT) into the standard cache
// layout: blobs/<etag>, snapshots/<sha>/<file> linking to them, refs/main naming <sha>.
#pragma once

#include <solar/runner/model_resolver.hpp>

#include <spdlog/logger.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace solar::runner {

// A download that cannot succeed: offline, not found, refused, broken connection, no weights.
struct hub_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The files to fetch from a repository's file list: config.json and tokenizer.json
// (required), tokenizer_config.json and special_tokens_map.json (when present), and
// model.safetensors, else model.safetensors.index.json (`sharded`; its shards come after
// reading it). Throws hub_error naming what is missing (.bin-only repositories included).
struct repo_plan {
    std::vector<std::string> files;
    bool sharded = false;
};
repo_plan plan_repo_files(const std::vector<std::string>& siblings);

// The shard file names of a model.safetensors.index.json, sorted and unique. Throws hub_error
// when it is not such an index or names a path outside the repository.
std::vector<std::string> index_shards(std::string_view index_json);

// An absolute http(s) URL split into origin and request target ("/path?query").
struct split_url {
    std::string origin;  // scheme://host[:port]
    std::string target;  // at least "/"
};
// Splits `location`, resolved against `base` (an origin) when it is a path ("/..." only).
// Throws hub_error for anything else.
split_url resolve_location(std::string_view location, std::string_view base_origin);

// "W/\"abc\"" -> "abc"; empty stays empty.
std::string normalize_etag(std::string_view etag);

// Throttles progress lines: true at the start, at every further 10% of `total` (or 64 MiB when
// the total is unknown) and at the end.
class progress_steps {
public:
    explicit progress_steps(std::uint64_t total) : total_(total) {}
    bool should_report(std::uint64_t done);

private:
    std::uint64_t total_;
    std::uint64_t next_ = 0;
    bool started_ = false;
    bool finished_ = false;
};

// Fetches `model_id`'s main revision into settings.cache_dir and returns its snapshot
// directory. Blocks the calling thread (it runs its own io_context: call it from a blocking
// pool). Files already in the snapshot are kept; each new one is written to a temporary file
// and renamed into blobs/, then linked. Throws hub_error when offline (HF_HUB_OFFLINE), on
// 401/403/404 and other failures, naming the URL without the token.
std::filesystem::path download_model(
    const std::string& model_id, const hub_settings& settings, spdlog::logger& log
);

}  // namespace solar::runner

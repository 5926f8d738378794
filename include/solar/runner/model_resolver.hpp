// Where a model's files are: a local directory, or a hub id in the standard HuggingFace cache
// layout (models--org--name/{refs/main, snapshots/<rev>/, blobs/}). No network here.
#pragma once

#include <solar/core/settings.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace solar::runner {

// The hub settings from the environment, as huggingface_hub reads them.
struct hub_settings {
    std::string endpoint = "https://huggingface.co";  // HF_ENDPOINT, without trailing slash
    std::string token;                                // HF_TOKEN (else HUGGING_FACE_HUB_TOKEN)
    bool offline = false;                             // HF_HUB_OFFLINE=1
    std::filesystem::path
        cache_dir;  // HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub
};

hub_settings hub_settings_from_env(const core::env_lookup& getenv);

// "name" or "org/name" with letters, digits, '-', '_' and '.' (no "..", no leading '.').
bool is_hub_id(std::string_view model_id);

// cache_dir / "models--org--name".
std::filesystem::path repo_cache_dir(const std::filesystem::path& cache_dir, std::string_view id);

// The files a model directory lacks to be loaded: config.json, tokenizer.json, and weights
// (model.safetensors, or model.safetensors.index.json and every shard it names). Empty when
// complete. Reads files only.
std::vector<std::string> missing_model_files(const std::filesystem::path& dir);

enum class resolution_kind {
    local_directory,  // model_id names an existing directory
    cached_snapshot,  // a complete snapshot in the hub cache
    needs_download,   // a hub id whose snapshot is absent or incomplete
    not_found,        // neither a directory nor a hub id
};

struct model_resolution {
    resolution_kind kind = resolution_kind::not_found;
    std::filesystem::path dir;         // the directory to load (local or snapshot)
    std::vector<std::string> missing;  // needs_download: what the cached snapshot lacked
    std::string message;               // not_found: why, for the log
};

// Resolves `model_id`: an existing directory first, then a hub id's snapshot named by
// refs/main (or the only snapshot when refs/main is absent) in settings.cache_dir.
model_resolution resolve_model(const std::string& model_id, const hub_settings& settings);

}  // namespace solar::runner

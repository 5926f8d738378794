// Model directories and the HuggingFace cache layout.
#include <solar/runner/model_resolver.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

namespace solar::runner {

namespace fs = std::filesystem;

namespace {

std::string env_or(const core::env_lookup& getenv, const char* name) {
    auto value = getenv(name);
    return value ? *value : std::string{};
}

bool is_file(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);  // follows the snapshot's symlinks into blobs/
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

hub_settings hub_settings_from_env(const core::env_lookup& getenv) {
    hub_settings out;
    if (auto endpoint = env_or(getenv, "HF_ENDPOINT"); !endpoint.empty()) {
        while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
        out.endpoint = endpoint;
    }
    out.token = env_or(getenv, "HF_TOKEN");
    if (out.token.empty()) out.token = env_or(getenv, "HUGGING_FACE_HUB_TOKEN");
    auto offline = core::parse_bool(env_or(getenv, "HF_HUB_OFFLINE"));
    out.offline = offline.value_or(false);
    if (auto cache = env_or(getenv, "HF_HUB_CACHE"); !cache.empty()) {
        out.cache_dir = cache;
    } else if (auto home = env_or(getenv, "HF_HOME"); !home.empty()) {
        out.cache_dir = fs::path(home) / "hub";
    } else if (auto xdg = env_or(getenv, "XDG_CACHE_HOME"); !xdg.empty()) {
        out.cache_dir = fs::path(xdg) / "huggingface" / "hub";
    } else {
        out.cache_dir = fs::path(env_or(getenv, "HOME")) / ".cache" / "huggingface" / "hub";
    }
    return out;
}

bool is_hub_id(std::string_view id) {
    auto part_ok = [](std::string_view part) {
        if (part.empty() || part.size() > 96 || part.front() == '.' ||
            part.find("..") != part.npos) {
            return false;
        }
        for (char c : part) {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
            if (!ok) return false;
        }
        return true;
    };
    auto slash = id.find('/');
    if (slash == std::string_view::npos) return part_ok(id);
    return part_ok(id.substr(0, slash)) && part_ok(id.substr(slash + 1));
}

fs::path repo_cache_dir(const fs::path& cache_dir, std::string_view id) {
    std::string name = "models--";
    for (char c : id) {
        if (c == '/') {
            name += "--";
        } else {
            name += c;
        }
    }
    return cache_dir / name;
}

std::vector<std::string> missing_model_files(const fs::path& dir) {
    std::vector<std::string> missing;
    for (const char* name : {"config.json", "tokenizer.json"}) {
        if (!is_file(dir / name)) missing.emplace_back(name);
    }
    if (is_file(dir / "model.safetensors")) return missing;
    const auto index = dir / "model.safetensors.index.json";
    if (!is_file(index)) {
        missing.emplace_back("model.safetensors");
        return missing;
    }
    auto parsed = nlohmann::json::parse(read_text(index), nullptr, false);
    if (parsed.is_discarded() || !parsed.contains("weight_map") ||
        !parsed["weight_map"].is_object()) {
        missing.emplace_back("model.safetensors.index.json");
        return missing;
    }
    std::set<std::string> shards;
    for (const auto& [tensor, shard] : parsed["weight_map"].items()) {
        if (shard.is_string()) shards.insert(shard.get<std::string>());
    }
    for (const auto& shard : shards) {
        if (!is_file(dir / shard)) missing.push_back(shard);
    }
    return missing;
}

model_resolution resolve_model(const std::string& model_id, const hub_settings& settings) {
    model_resolution out;
    std::error_code ec;
    if (fs::is_directory(model_id, ec)) {
        out.kind = resolution_kind::local_directory;
        out.dir = model_id;
        return out;
    }
    if (!is_hub_id(model_id)) {
        out.message = "'" + model_id + "' is neither a directory nor a hub id (org/name)";
        return out;
    }
    auto repo = repo_cache_dir(settings.cache_dir, model_id);
    std::string revision = std::string(core::trim_setting(read_text(repo / "refs" / "main")));
    if (revision.empty()) {
        // A cache filled by hand or by an older tool: take its only snapshot.
        std::vector<fs::path> snapshots;
        for (const auto& entry : fs::directory_iterator(repo / "snapshots", ec)) {
            if (entry.is_directory()) snapshots.push_back(entry.path());
        }
        if (snapshots.size() == 1) revision = snapshots.front().filename().string();
    }
    if (!revision.empty()) {
        out.dir = repo / "snapshots" / revision;
        out.missing = missing_model_files(out.dir);
        if (out.missing.empty()) {
            out.kind = resolution_kind::cached_snapshot;
            return out;
        }
    }
    out.kind = resolution_kind::needs_download;
    return out;
}

}  // namespace solar::runner

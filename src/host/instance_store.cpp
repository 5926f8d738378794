// config.json: reading (this format and the Python tool's), setting unusable files aside, and
// atomic saving.
#include <solar/core/atomic_file.hpp>
#include <solar/host/instance_store.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <set>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace solar::host {

namespace {

using nlohmann::json;

constexpr int store_version = 1;

std::tm utc_tm(std::chrono::system_clock::time_point time) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    return tm;
}

// "20250220T100000Z": sortable and free of characters that need quoting in a file name.
std::string compact_timestamp(std::chrono::system_clock::time_point time) {
    auto tm = utc_tm(time);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &tm);
    return buffer;
}

// The whole file, or nullopt when it does not exist.
std::optional<std::string> read_file(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw std::system_error(errno, std::generic_category(), "cannot open " + file.string());
    }
    std::string content;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            int error = errno;
            ::close(fd);
            throw std::system_error(error, std::generic_category(), "cannot read " + file.string());
        }
        if (n == 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
}

std::optional<std::uint16_t> port_of(const json& entry) {
    auto it = entry.find("port");
    if (it == entry.end() || !it->is_number_integer()) return std::nullopt;
    auto port = it->get<std::int64_t>();
    if (port < 1 || port > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(port);
}

std::string string_or(const json& entry, const char* key, std::string_view fallback) {
    auto it = entry.find(key);
    if (it != entry.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
        return it->get<std::string>();
    }
    return std::string(fallback);
}

desired_state desired_of(const json& entry, bool legacy) {
    if (!legacy) {
        return string_or(entry, "desired", "stopped") == "running" ? desired_state::running
                                                                   : desired_state::stopped;
    }
    // The Python tool stored the live status; a shutdown mid-start counts as running.
    auto status = string_or(entry, "status", "stopped");
    return status == "running" || status == "starting" ? desired_state::running
                                                       : desired_state::stopped;
}

stored_instance read_entry(std::string id, const json& entry, bool legacy, std::string_view now) {
    stored_instance instance;
    instance.id = std::move(id);
    auto config = entry.find("config");
    instance.raw_config = config == entry.end() ? json(nullptr) : *config;
    // File checks wait for start: a model on an unmounted disk must not lose its instance.
    auto parsed = parse_instance_config(instance.raw_config, validation_env{});
    if (parsed) {
        instance.config = std::move(*parsed);
    } else {
        instance.invalid_reason = "stored config is invalid: " + describe(parsed.error());
    }
    instance.desired = desired_of(entry, legacy);
    instance.port = port_of(entry);
    instance.created_at = string_or(entry, "created_at", now);
    instance.updated_at = string_or(entry, "updated_at", instance.created_at);
    return instance;
}

// A path beside `file` that does not exist yet: file.corrupt-<time>[-N].
std::filesystem::path aside_path(
    const std::filesystem::path& file, std::chrono::system_clock::time_point now
) {
    std::string base = file.string() + ".corrupt-" + compact_timestamp(now);
    std::filesystem::path candidate = base;
    std::error_code ec;
    for (int n = 2; std::filesystem::exists(candidate, ec) || ec; ++n) {
        candidate = base + "-" + std::to_string(n);
    }
    return candidate;
}

}  // namespace

void throw_exception_from_error(const store_format_error& e, const boost::source_location&) {
    throw std::runtime_error(e.message);
}

std::string_view to_string(desired_state state) {
    return state == desired_state::running ? "running" : "stopped";
}

json config_json(const stored_instance& instance) {
    return instance.config ? to_json(*instance.config) : instance.raw_config;
}

bool is_safe_instance_id(std::string_view id) {
    if (id.empty() || id.size() > 128 || id.front() == '.') return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

std::string utc_timestamp(std::chrono::system_clock::time_point time) {
    auto tm = utc_tm(time);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()) %
                  std::chrono::seconds(1);
    if (millis.count() < 0) millis += std::chrono::seconds(1);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", date, static_cast<int>(millis.count()));
    return out;
}

json store_document(const std::vector<stored_instance>& instances) {
    json list = json::array();
    for (const auto& instance : instances) {
        list.push_back({
            {"id", instance.id},
            {"config", config_json(instance)},
            {"desired", to_string(instance.desired)},
            {"port", instance.port ? json(*instance.port) : json(nullptr)},
            {"created_at", instance.created_at},
            {"updated_at", instance.updated_at},
        });
    }
    return {{"version", store_version}, {"instances", std::move(list)}};
}

boost::system::result<parsed_store, store_format_error> parse_store_document(
    const json& document, std::string_view now
) {
    parsed_store out;
    const json* instances = nullptr;
    if (document.is_array()) {
        out.legacy_format = true;  // a bare list of instances
        instances = &document;
    } else if (document.is_object()) {
        auto version = document.find("version");
        if (version == document.end()) {
            out.legacy_format = true;
        } else if (!version->is_number_integer() || *version != store_version) {
            return store_format_error{"unsupported version " + version->dump()};
        }
        auto it = document.find("instances");
        if (it == document.end() || it->is_null()) {
            if (!out.legacy_format) return store_format_error{"\"instances\" is missing"};
            return out;  // the Python tool's file before its first instance
        }
        instances = &*it;
    } else {
        return store_format_error{"the document is not a JSON object"};
    }

    std::set<std::string> seen;
    auto add = [&](std::string id, const json& entry) -> std::optional<store_format_error> {
        if (!entry.is_object()) return store_format_error{"an instance entry is not an object"};
        if (id.empty()) return store_format_error{"an instance entry has no \"id\""};
        // The id names the instance's log file: nothing that could leave logs/.
        if (!is_safe_instance_id(id))
            return store_format_error{"instance id " + id + " is not a plain name"};
        if (!seen.insert(id).second) return store_format_error{"duplicate instance id " + id};
        out.instances.push_back(read_entry(std::move(id), entry, out.legacy_format, now));
        return std::nullopt;
    };
    if (instances->is_array()) {
        for (const auto& entry : *instances) {
            auto id = entry.is_object() ? string_or(entry, "id", "") : std::string{};
            if (auto error = add(std::move(id), entry)) return *error;
        }
    } else if (instances->is_object() && out.legacy_format) {
        for (const auto& [key, entry] : instances->items()) {
            auto id = entry.is_object() ? string_or(entry, "id", key) : key;
            if (auto error = add(std::move(id), entry)) return *error;
        }
    } else {
        return store_format_error{"\"instances\" is not a list"};
    }
    return out;
}

instance_store::instance_store(std::filesystem::path file) : file_(std::move(file)) {}

store_load_result instance_store::load(std::chrono::system_clock::time_point now) const {
    store_load_result result;
    auto content = read_file(file_);
    if (!content) {
        save({});
        result.created = true;
        return result;
    }

    std::string problem;
    json document = json::parse(*content, nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) {
        problem = content->empty() ? "the file is empty" : "the file is not valid JSON";
    } else if (auto parsed = parse_store_document(document, utc_timestamp(now))) {
        result.instances = std::move(parsed->instances);
        result.legacy_format = parsed->legacy_format;
        return result;
    } else {
        problem = parsed.error().message;
    }

    // Keep the unusable file for a person to inspect; starting empty must not destroy it.
    auto aside = aside_path(file_, now);
    std::error_code ec;
    std::filesystem::rename(file_, aside, ec);
    if (ec) throw std::system_error(ec, "cannot move " + file_.string() + " aside");
    result.set_aside = aside;
    result.problem = problem;
    save({});
    return result;
}

void instance_store::save(const std::vector<stored_instance>& instances) const {
    core::write_file_atomically(file_, store_document(instances).dump(2) + "\n", 0600);
}

}  // namespace solar::host

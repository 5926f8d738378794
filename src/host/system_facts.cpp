// /proc parsing and the run-time-loaded NVML binding behind GET /memory.
#include <solar/host/system_facts.hpp>

#include <charconv>
#include <cmath>
#include <dlfcn.h>
#include <fstream>
#include <sstream>

namespace solar::host {

namespace {

class system_facts_category_impl : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "solar.system_facts"; }
    std::string message(int value) const override {
        switch (static_cast<system_facts_errc>(value)) {
            case system_facts_errc::unreadable:
                return "cannot read /proc/meminfo";
            case system_facts_errc::missing_mem_total:
                return "no MemTotal in /proc/meminfo";
        }
        return "unknown system facts error";
    }
};

std::optional<std::string> read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return out.str();
}

// The value in bytes of a "<key>:   <number> kB" line of a /proc text; nullopt when absent.
std::optional<std::uint64_t> proc_field_bytes(std::string_view text, std::string_view key) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        auto line =
            text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        pos = end == std::string_view::npos ? text.size() : end + 1;
        if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':')
            continue;
        auto rest = line.substr(key.size() + 1);
        auto first = rest.find_first_not_of(" \t");
        if (first == std::string_view::npos) return std::nullopt;
        rest.remove_prefix(first);
        std::uint64_t value = 0;
        auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
        if (ec != std::errc{}) return std::nullopt;
        std::string_view unit(ptr, static_cast<std::size_t>(rest.data() + rest.size() - ptr));
        auto unit_start = unit.find_first_not_of(" \t");
        unit = unit_start == std::string_view::npos ? std::string_view{} : unit.substr(unit_start);
        while (!unit.empty() && (unit.back() == ' ' || unit.back() == '\r')) unit.remove_suffix(1);
        // The kernel writes "kB" meaning KiB; a bare number is a byte or page count.
        if (unit == "kB") return value * 1024;
        return value;
    }
    return std::nullopt;
}

double round2(double value) { return std::round(value * 100) / 100; }
double gib(std::uint64_t bytes) {
    return round2(static_cast<double>(bytes) / (1024.0 * 1024 * 1024));
}
double percent(std::uint64_t part, std::uint64_t whole) {
    return whole == 0 ? 0 : round2(static_cast<double>(part) * 100 / static_cast<double>(whole));
}

// The few NVML declarations used (nvml.h, stable since the v2 entry points of CUDA 7).
using nvml_return = int;  // nvmlReturn_t; 0 is NVML_SUCCESS
using nvml_device = struct nvml_device_st*;
struct nvml_memory {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};
struct nvml_utilization {
    unsigned int gpu;
    unsigned int memory;
};
constexpr unsigned nvml_device_name_buffer = 96;  // NVML_DEVICE_NAME_V2_BUFFER_SIZE

}  // namespace

const boost::system::error_category& system_facts_category() {
    static const system_facts_category_impl category;
    return category;
}

boost::system::error_code make_error_code(system_facts_errc e) {
    return {static_cast<int>(e), system_facts_category()};
}

boost::system::result<ram_info> parse_meminfo(std::string_view text) {
    auto total = proc_field_bytes(text, "MemTotal");
    if (!total || *total == 0) return system_facts_errc::missing_mem_total;
    std::uint64_t available = 0;
    if (auto value = proc_field_bytes(text, "MemAvailable")) {
        available = *value;
    } else {
        available = proc_field_bytes(text, "MemFree").value_or(0) +
                    proc_field_bytes(text, "Buffers").value_or(0) +
                    proc_field_bytes(text, "Cached").value_or(0);
    }
    ram_info out;
    out.total_bytes = *total;
    out.available_bytes = std::min(available, *total);
    out.used_bytes = out.total_bytes - out.available_bytes;
    out.percent = percent(out.used_bytes, out.total_bytes);
    return out;
}

boost::system::result<ram_info> read_ram_info(const std::filesystem::path& path) {
    auto text = read_text(path);
    if (!text) return system_facts_errc::unreadable;
    return parse_meminfo(*text);
}

std::optional<std::uint64_t> parse_status_vm_rss(std::string_view text) {
    return proc_field_bytes(text, "VmRSS");
}

std::optional<std::uint64_t> process_rss_bytes(int pid, const std::filesystem::path& proc) {
    if (pid <= 0) return std::nullopt;
    auto text = read_text(proc / std::to_string(pid) / "status");
    if (!text) return std::nullopt;
    return parse_status_vm_rss(*text);
}

struct nvml_gpus::api {
    void* handle = nullptr;
    nvml_return (*init)() = nullptr;
    nvml_return (*shutdown)() = nullptr;
    nvml_return (*device_count)(unsigned*) = nullptr;
    nvml_return (*device_by_index)(unsigned, nvml_device*) = nullptr;
    nvml_return (*device_name)(nvml_device, char*, unsigned) = nullptr;
    nvml_return (*device_memory)(nvml_device, nvml_memory*) = nullptr;
    nvml_return (*device_utilization)(nvml_device, nvml_utilization*) = nullptr;
};

namespace {

template <typename F>
bool resolve(void* handle, const char* symbol, F& out) {
    out = reinterpret_cast<F>(::dlsym(handle, symbol));
    return out != nullptr;
}

}  // namespace

nvml_gpus::nvml_gpus(const char* library) {
    void* handle = ::dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return;
    auto loaded = std::make_unique<api>();
    loaded->handle = handle;
    bool ok = resolve(handle, "nvmlInit_v2", loaded->init) &&
              resolve(handle, "nvmlShutdown", loaded->shutdown) &&
              resolve(handle, "nvmlDeviceGetCount_v2", loaded->device_count) &&
              resolve(handle, "nvmlDeviceGetHandleByIndex_v2", loaded->device_by_index) &&
              resolve(handle, "nvmlDeviceGetName", loaded->device_name) &&
              resolve(handle, "nvmlDeviceGetMemoryInfo", loaded->device_memory) &&
              resolve(handle, "nvmlDeviceGetUtilizationRates", loaded->device_utilization);
    // The library is present on machines whose driver is not loaded; nvmlInit then fails.
    if (!ok || loaded->init() != 0) {
        ::dlclose(handle);
        return;
    }
    api_ = std::move(loaded);
}

nvml_gpus::~nvml_gpus() {
    if (!api_) return;
    api_->shutdown();
    ::dlclose(api_->handle);
}

bool nvml_gpus::available() const { return api_ != nullptr; }

std::vector<gpu_info> nvml_gpus::snapshot() {
    std::vector<gpu_info> out;
    if (!api_) return out;
    std::lock_guard lock(mutex_);
    unsigned count = 0;
    if (api_->device_count(&count) != 0) return out;
    for (unsigned i = 0; i < count; ++i) {
        nvml_device device = nullptr;
        if (api_->device_by_index(i, &device) != 0) continue;
        nvml_memory memory{};
        if (api_->device_memory(device, &memory) != 0) continue;
        gpu_info gpu;
        gpu.index = i;
        char name[nvml_device_name_buffer] = {};
        if (api_->device_name(device, name, sizeof name) == 0) {
            name[sizeof name - 1] = '\0';
            gpu.name = name;
        }
        gpu.memory_total_bytes = memory.total;
        gpu.memory_used_bytes = memory.used;
        gpu.memory_free_bytes = memory.free;
        nvml_utilization utilization{};
        if (api_->device_utilization(device, &utilization) == 0) {
            gpu.utilization_percent = utilization.gpu;
            gpu.memory_utilization_percent = utilization.memory;
        }
        out.push_back(std::move(gpu));
    }
    return out;
}

nlohmann::json memory_json(const ram_info& ram, const std::vector<gpu_info>& gpus) {
    nlohmann::json gpu_list = nlohmann::json::array();
    std::uint64_t gpu_total = 0;
    std::uint64_t gpu_used = 0;
    for (const auto& gpu : gpus) {
        nlohmann::json item = {
            {"index", gpu.index},
            {"name", gpu.name},
            {"memory_total_bytes", gpu.memory_total_bytes},
            {"memory_used_bytes", gpu.memory_used_bytes},
            {"memory_free_bytes", gpu.memory_free_bytes},
            {"memory_percent", percent(gpu.memory_used_bytes, gpu.memory_total_bytes)},
            {"utilization_percent", nullptr},
            {"memory_utilization_percent", nullptr},
            {"memory_total_gb", gib(gpu.memory_total_bytes)},
            {"memory_used_gb", gib(gpu.memory_used_bytes)},
            {"memory_free_gb", gib(gpu.memory_free_bytes)},
        };
        if (gpu.utilization_percent) item["utilization_percent"] = *gpu.utilization_percent;
        if (gpu.memory_utilization_percent) {
            item["memory_utilization_percent"] = *gpu.memory_utilization_percent;
        }
        gpu_list.push_back(std::move(item));
        gpu_total += gpu.memory_total_bytes;
        gpu_used += gpu.memory_used_bytes;
    }
    bool on_gpu = !gpus.empty();
    std::uint64_t flat_total = on_gpu ? gpu_total : ram.total_bytes;
    std::uint64_t flat_used = on_gpu ? gpu_used : ram.used_bytes;
    return {
        {"ram",
         {
             {"total_bytes", ram.total_bytes},
             {"used_bytes", ram.used_bytes},
             {"available_bytes", ram.available_bytes},
             {"percent", ram.percent},
             {"total_gb", gib(ram.total_bytes)},
             {"used_gb", gib(ram.used_bytes)},
             {"available_gb", gib(ram.available_bytes)},
         }},
        {"gpus", std::move(gpu_list)},
        {"gpu_available", on_gpu},
        {"memory_type", on_gpu ? "gpu" : "ram"},
        {"memory_used_gb", gib(flat_used)},
        {"memory_total_gb", gib(flat_total)},
        {"memory_percent", percent(flat_used, flat_total)},
    };
}

}  // namespace solar::host

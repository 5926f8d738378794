// Machine facts for GET /memory: RAM from /proc/meminfo, GPUs through NVML loaded at run time
// (no NVIDIA headers or libraries needed to build), and a process's resident memory.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace solar::host {

enum class system_facts_errc {
    unreadable = 1,     // /proc/meminfo could not be read
    missing_mem_total,  // the text has no usable MemTotal line
};
const boost::system::error_category& system_facts_category();
boost::system::error_code make_error_code(system_facts_errc e);

struct ram_info {
    std::uint64_t total_bytes = 0;
    std::uint64_t available_bytes = 0;
    std::uint64_t used_bytes = 0;  // total - available
    double percent = 0;            // used / total * 100

    bool operator==(const ram_info&) const = default;
};

// RAM from the text of /proc/meminfo ("MemTotal:  16316412 kB" lines). Available is
// MemAvailable, or on kernels before 3.14 MemFree + Buffers + Cached. Fails with
// missing_mem_total when there is no positive MemTotal.
boost::system::result<ram_info> parse_meminfo(std::string_view text);

// parse_meminfo of the file at `path`; unreadable when it cannot be read.
boost::system::result<ram_info> read_ram_info(const std::filesystem::path& path = "/proc/meminfo");

// VmRSS in bytes from the text of /proc/<pid>/status; nullopt when absent (kernel threads,
// zombies).
std::optional<std::uint64_t> parse_status_vm_rss(std::string_view text);

// The resident memory of process `pid` in bytes, from /proc/<pid>/status; nullopt for pid <= 0,
// a process that does not exist (any more), or one without VmRSS.
std::optional<std::uint64_t> process_rss_bytes(
    int pid, const std::filesystem::path& proc = "/proc"
);

struct gpu_info {
    unsigned index = 0;
    std::string name;
    std::uint64_t memory_total_bytes = 0;
    std::uint64_t memory_used_bytes = 0;
    std::uint64_t memory_free_bytes = 0;
    std::optional<unsigned> utilization_percent;         // GPU busy, last sample period
    std::optional<unsigned> memory_utilization_percent;  // memory controller busy

    bool operator==(const gpu_info&) const = default;
};

// NVIDIA GPUs through libnvidia-ml, dlopen'ed once. No library, no driver or a failed
// nvmlInit leave it unavailable, which is not an error: the GPU list is then empty.
// Thread-safe: queries are serialised.
class nvml_gpus {
public:
    // Loads `library` and calls nvmlInit_v2; on any failure the object is unavailable.
    explicit nvml_gpus(const char* library = "libnvidia-ml.so.1");
    ~nvml_gpus();  // nvmlShutdown and dlclose when loaded
    nvml_gpus(const nvml_gpus&) = delete;
    nvml_gpus& operator=(const nvml_gpus&) = delete;

    bool available() const;

    // Every GPU's facts now, by NVML index. Devices whose handle or memory cannot be read are
    // left out; an unreadable utilisation leaves it unset. Empty when unavailable.
    std::vector<gpu_info> snapshot();

private:
    struct api;
    std::unique_ptr<api> api_;
    std::mutex mutex_;
};

// The GET /memory body. Bytes are the primary fields; the *_gb ones (GiB, 2 decimals) and the
// flat top-level memory_* fields repeat them for clients written against the original
// solar-host (which, by its README, reported "GPU/RAM memory usage"; the exact names there are
// a guess). The flat fields describe the GPUs summed when there are any, else the RAM, and
// memory_type says which ("gpu" or "ram").
// {"ram":{"total_bytes","used_bytes","available_bytes","percent",
//         "total_gb","used_gb","available_gb"},
//  "gpus":[{"index","name","memory_total_bytes","memory_used_bytes","memory_free_bytes",
//           "memory_percent","utilization_percent","memory_utilization_percent" (null when
//           unknown),
//           "memory_total_gb","memory_used_gb","memory_free_gb"}],
//  "gpu_available":bool,
//  "memory_type":"gpu"|"ram","memory_used_gb","memory_total_gb","memory_percent"}
nlohmann::json memory_json(const ram_info& ram, const std::vector<gpu_info>& gpus);

}  // namespace solar::host

template <>
struct boost::system::is_error_code_enum<solar::host::system_facts_errc> : std::true_type {};

// Tests for /proc parsing, the NVML loader's absent-driver path, and the GET /memory body.
#include <solar/host/system_facts.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

namespace solar::host {
namespace {

constexpr std::string_view meminfo =
    "MemTotal:       16316412 kB\n"
    "MemFree:          824936 kB\n"
    "MemAvailable:    8158208 kB\n"
    "Buffers:          352004 kB\n"
    "Cached:          7011436 kB\n"
    "SwapCached:            0 kB\n"
    "HugePages_Total:       0\n";

TEST(system_facts_test, parses_meminfo) {
    auto ram = parse_meminfo(meminfo);
    ASSERT_TRUE(ram);
    EXPECT_EQ(ram->total_bytes, 16316412ull * 1024);
    EXPECT_EQ(ram->available_bytes, 8158208ull * 1024);
    EXPECT_EQ(ram->used_bytes, (16316412ull - 8158208ull) * 1024);
    EXPECT_DOUBLE_EQ(ram->percent, 50.0);
}

TEST(system_facts_test, old_kernels_without_mem_available_use_free_buffers_cached) {
    auto ram = parse_meminfo(
        "MemTotal: 1000 kB\n"
        "MemFree: 100 kB\n"
        "Buffers: 50 kB\n"
        "Cached: 250 kB\n"
    );
    ASSERT_TRUE(ram);
    EXPECT_EQ(ram->available_bytes, 400u * 1024);
    EXPECT_EQ(ram->used_bytes, 600u * 1024);
    EXPECT_DOUBLE_EQ(ram->percent, 60.0);
}

TEST(system_facts_test, meminfo_without_total_is_an_error) {
    EXPECT_EQ(parse_meminfo("MemFree: 10 kB\n").error(), system_facts_errc::missing_mem_total);
    EXPECT_EQ(parse_meminfo("").error(), system_facts_errc::missing_mem_total);
    EXPECT_EQ(parse_meminfo("MemTotal: abc kB\n").error(), system_facts_errc::missing_mem_total);
    // "MemTotalX" is another key.
    EXPECT_EQ(parse_meminfo("MemTotalX: 10 kB\n").error(), system_facts_errc::missing_mem_total);
}

TEST(system_facts_test, reads_this_machines_meminfo) {
    auto ram = read_ram_info();
    ASSERT_TRUE(ram) << ram.error().message();
    EXPECT_GT(ram->total_bytes, 0u);
    EXPECT_LE(ram->used_bytes, ram->total_bytes);
    EXPECT_EQ(read_ram_info("/nonexistent/meminfo").error(), system_facts_errc::unreadable);
}

TEST(system_facts_test, parses_vm_rss) {
    EXPECT_EQ(
        parse_status_vm_rss(
            "Name:\tllama-server\nVmPeak:\t  200 kB\nVmRSS:\t   51234 kB\nThreads:\t4\n"
        ),
        51234u * 1024
    );
    EXPECT_FALSE(parse_status_vm_rss("Name:\tkthreadd\nThreads:\t1\n"));
}

TEST(system_facts_test, rss_of_this_process_and_of_none) {
    auto rss = process_rss_bytes(static_cast<int>(::getpid()));
    ASSERT_TRUE(rss);
    EXPECT_GT(*rss, 0u);
    EXPECT_FALSE(process_rss_bytes(0));
    EXPECT_FALSE(process_rss_bytes(-5));
    EXPECT_FALSE(process_rss_bytes(1 << 30));  // above any pid_max
}

TEST(system_facts_test, no_nvml_library_means_no_gpus_not_an_error) {
    nvml_gpus gpus("libsolar-no-such-nvml.so.1");
    EXPECT_FALSE(gpus.available());
    EXPECT_TRUE(gpus.snapshot().empty());
}

TEST(system_facts_test, a_library_without_nvml_symbols_is_not_used) {
    nvml_gpus gpus("libc.so.6");
    EXPECT_FALSE(gpus.available());
    EXPECT_TRUE(gpus.snapshot().empty());
}

TEST(system_facts_test, the_real_nvml_if_present_gives_consistent_numbers) {
    nvml_gpus gpus;
    for (const auto& gpu : gpus.snapshot()) {
        EXPECT_GT(gpu.memory_total_bytes, 0u);
        EXPECT_LE(gpu.memory_used_bytes, gpu.memory_total_bytes);
        EXPECT_FALSE(gpu.name.empty());
    }
}

TEST(system_facts_test, memory_json_without_gpus) {
    ram_info ram{16ull << 30, 4ull << 30, 12ull << 30, 75.0};
    auto json = memory_json(ram, {});
    EXPECT_EQ(json["ram"]["total_bytes"], 16ull << 30);
    EXPECT_EQ(json["ram"]["used_bytes"], 12ull << 30);
    EXPECT_EQ(json["ram"]["available_bytes"], 4ull << 30);
    EXPECT_EQ(json["ram"]["percent"], 75.0);
    EXPECT_EQ(json["ram"]["total_gb"], 16.0);
    EXPECT_EQ(json["gpus"], nlohmann::json::array());
    EXPECT_EQ(json["gpu_available"], false);
    EXPECT_EQ(json["memory_type"], "ram");
    EXPECT_EQ(json["memory_used_gb"], 12.0);
    EXPECT_EQ(json["memory_total_gb"], 16.0);
    EXPECT_EQ(json["memory_percent"], 75.0);
}

TEST(system_facts_test, memory_json_with_gpus_sums_them_in_the_flat_fields) {
    ram_info ram{16ull << 30, 4ull << 30, 12ull << 30, 75.0};
    std::vector<gpu_info> gpus{
        {0, "NVIDIA H200", 140ull << 30, 35ull << 30, 105ull << 30, 87, 40},
        {1, "NVIDIA H200", 140ull << 30, 105ull << 30, 35ull << 30, std::nullopt, std::nullopt},
    };
    auto json = memory_json(ram, gpus);
    ASSERT_EQ(json["gpus"].size(), 2u);
    auto first = json["gpus"][0];
    EXPECT_EQ(first["index"], 0);
    EXPECT_EQ(first["name"], "NVIDIA H200");
    EXPECT_EQ(first["memory_total_bytes"], 140ull << 30);
    EXPECT_EQ(first["memory_used_bytes"], 35ull << 30);
    EXPECT_EQ(first["memory_free_bytes"], 105ull << 30);
    EXPECT_EQ(first["memory_percent"], 25.0);
    EXPECT_EQ(first["utilization_percent"], 87);
    EXPECT_EQ(first["memory_utilization_percent"], 40);
    EXPECT_EQ(first["memory_total_gb"], 140.0);
    EXPECT_TRUE(json["gpus"][1]["utilization_percent"].is_null());
    EXPECT_EQ(json["gpu_available"], true);
    EXPECT_EQ(json["memory_type"], "gpu");
    EXPECT_EQ(json["memory_used_gb"], 140.0);
    EXPECT_EQ(json["memory_total_gb"], 280.0);
    EXPECT_EQ(json["memory_percent"], 50.0);
}

}  // namespace
}  // namespace solar::host

// Helpers shared by the benchmark clients: target URLs, request bodies, percentiles, RSS.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace solar::bench {

struct target {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string path = "/";
};

// Parses "http://host:port/path"; throws std::invalid_argument on anything else.
target parse_target(const std::string& url);

// A chat completion body of about `bytes` bytes for `model`, with extra top-level JSON
// members (e.g. "stream":true) spliced in verbatim.
std::string chat_body(const std::string& model, std::size_t bytes, const std::string& extra);

// The raw bytes of an HTTP/1.1 request with keep-alive; `headers` are "Name: value" lines.
std::string raw_request(
    const std::string& method,
    const target& t,
    const std::vector<std::string>& headers,
    const std::string& body
);

// Nanoseconds on the steady clock, the same clock solar-bench-upstream stamps events with.
inline std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch()
    )
        .count();
}

// {"p50":..,"p90":..,"p99":..,"p999":..,"max":..,"mean":..} in milliseconds of the samples
// (ns); sorts them. All zeros when empty.
nlohmann::json percentiles_ms(std::vector<std::int64_t>& samples_ns);

// Sum of VmRSS (KiB) over the pids; 0 for a pid that is gone.
long rss_kb(const std::vector<int>& pids);

}  // namespace solar::bench

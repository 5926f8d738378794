// Helpers shared by the benchmark clients.
#include "bench_util.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace solar::bench {

target parse_target(const std::string& url) {
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("only http:// URLs: " + url);
    auto rest = url.substr(scheme.size());
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    target t;
    t.path = slash == std::string::npos ? "/" : rest.substr(slash);
    auto colon = authority.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("URL needs a port: " + url);
    t.host = authority.substr(0, colon);
    t.port = static_cast<std::uint16_t>(std::stoi(authority.substr(colon + 1)));
    return t;
}

std::string chat_body(const std::string& model, std::size_t bytes, const std::string& extra) {
    std::string head = R"({"model":")" + model + R"(",)" + (extra.empty() ? "" : extra + ",") +
                       R"("max_tokens":16,"messages":[{"role":"user","content":")";
    std::string tail = R"("}]})";
    std::size_t fill = bytes > head.size() + tail.size() ? bytes - head.size() - tail.size() : 1;
    std::string text;
    text.reserve(fill);
    static constexpr std::string_view words = "the quick brown fox jumps over the lazy dog ";
    while (text.size() < fill) text += words.substr(0, std::min(words.size(), fill - text.size()));
    return head + text + tail;
}

std::string raw_request(
    const std::string& method,
    const target& t,
    const std::vector<std::string>& headers,
    const std::string& body
) {
    std::string out = method + " " + t.path + " HTTP/1.1\r\nHost: " + t.host + ":" +
                      std::to_string(t.port) + "\r\n";
    for (const auto& h : headers) out += h + "\r\n";
    if (!body.empty() || method == "POST") {
        out += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n";
    }
    out += "\r\n" + body;
    return out;
}

nlohmann::json percentiles_ms(std::vector<std::int64_t>& samples) {
    nlohmann::json out = {{"p50", 0}, {"p90", 0}, {"p99", 0}, {"p999", 0}, {"max", 0}, {"mean", 0}};
    if (samples.empty()) return out;
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) {
        auto index = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
        return static_cast<double>(samples[index]) / 1e6;
    };
    out["p50"] = at(0.50);
    out["p90"] = at(0.90);
    out["p99"] = at(0.99);
    out["p999"] = at(0.999);
    out["max"] = static_cast<double>(samples.back()) / 1e6;
    out["mean"] = std::accumulate(samples.begin(), samples.end(), 0.0) /
                  static_cast<double>(samples.size()) / 1e6;
    return out;
}

long rss_kb(const std::vector<int>& pids) {
    long total = 0;
    for (int pid : pids) {
        std::ifstream status("/proc/" + std::to_string(pid) + "/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("VmRSS:", 0) == 0) {
                total += std::stol(line.substr(6));
                break;
            }
        }
    }
    return total;
}

}  // namespace solar::bench

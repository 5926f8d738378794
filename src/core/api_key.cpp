// Constant-time key comparison, key generation and the 0600 key file.
#include <solar/core/api_key.hpp>
#include <solar/core/atomic_file.hpp>
#include <solar/core/random.hpp>

#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <system_error>

namespace solar::core {

namespace {

std::string_view trim(std::string_view text) {
    constexpr std::string_view whitespace = " \t\r\n\f\v";
    auto first = text.find_first_not_of(whitespace);
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(whitespace);
    return text.substr(first, last - first + 1);
}

std::string read_whole_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw std::system_error(errno, std::generic_category(), "cannot read " + file.string());
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) {
        throw std::system_error(errno, std::generic_category(), "cannot read " + file.string());
    }
    return content.str();
}

}  // namespace

bool constant_time_equals(std::string_view presented, std::string_view expected) {
    // Every presented byte is compared, against `expected` repeated, and differences are only
    // OR-ed together: no early exit, no branch on key bytes. This replaced hashing both sides
    // to SHA-256, which cost 7% of the gateway's CPU per proxied request.
    if (expected.empty()) return presented.empty();
    std::size_t differs = presented.size() ^ expected.size();
    for (std::size_t i = 0; i < presented.size(); ++i) {
        differs |= static_cast<unsigned char>(presented[i] ^ expected[i % expected.size()]);
    }
    return differs == 0;
}

std::string generate_api_key() {
    std::array<unsigned char, 32> bytes{};
    random_bytes(bytes);
    return "solar-" + to_hex(bytes);
}

key_source load_or_create_key_file(
    const std::filesystem::path& data_dir, std::string_view file_name
) {
    key_source out;
    out.file = data_dir / std::filesystem::path(file_name);

    struct stat info {};
    if (::stat(out.file.c_str(), &info) == 0) {
        out.key = std::string(trim(read_whole_file(out.file)));
        if (out.key.empty()) {
            // Never fall back to an open gateway or silently replace what someone wrote.
            throw std::runtime_error(out.file.string() + " is empty; delete it or put a key in it");
        }
        out.insecure_permissions = (info.st_mode & (S_IRWXG | S_IRWXO)) != 0;
        return out;
    }
    if (errno != ENOENT) {
        throw std::system_error(errno, std::generic_category(), "cannot stat " + out.file.string());
    }

    out.key = generate_api_key();
    write_file_atomically(out.file, out.key + "\n", S_IRUSR | S_IWUSR);
    out.generated = true;
    return out;
}

std::optional<std::string> resolve_api_key(
    const std::string& configured, const std::filesystem::path& data_dir, spdlog::logger& log
) {
    if (!configured.empty()) return configured;
    try {
        auto key = load_or_create_key_file(data_dir, "api_key");
        log.warn(
            "no API_KEY configured; using the key {} in {}",
            key.generated ? "generated" : "stored",
            key.file.string()
        );
        if (key.insecure_permissions) {
            log.warn("{} is readable by other users; chmod 600 it", key.file.string());
        }
        return key.key;
    } catch (const std::exception& e) {
        log.critical("cannot create the API key file: {}", e.what());
        return std::nullopt;
    }
}

}  // namespace solar::core

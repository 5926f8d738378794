// OpenSSL-backed random bytes, UUIDv4 text and hex encoding.
#include <solar/core/random.hpp>

#include <climits>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace solar::core {

void random_bytes(std::span<unsigned char> out) {
    while (!out.empty()) {
        // RAND_bytes takes an int length; chunk so huge buffers cannot overflow it.
        auto chunk = std::min<std::size_t>(out.size(), INT_MAX);
        if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) {
            throw std::runtime_error("OpenSSL RAND_bytes failed: no entropy available");
        }
        out = out.subspan(chunk);
    }
}

std::string to_hex(std::span<const unsigned char> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0x0f];
    }
    return out;
}

std::string random_uuid_v4() {
    std::array<unsigned char, 16> bytes{};
    random_bytes(bytes);
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC variant
    auto hex = to_hex(bytes);
    return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
           hex.substr(16, 4) + '-' + hex.substr(20, 12);
}

}  // namespace solar::core

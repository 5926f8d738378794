// Cryptographically strong randomness from OpenSSL, for keys and identifiers.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace solar::core {

// Fills the buffer from OpenSSL's CSPRNG. Throws std::runtime_error if it cannot be seeded.
void random_bytes(std::span<unsigned char> out);

// A random RFC 9562 version 4 UUID in lowercase text, e.g. "0f8e...-4...-a...-...".
std::string random_uuid_v4();

// Lowercase hexadecimal text of the bytes.
std::string to_hex(std::span<const unsigned char> bytes);

}  // namespace solar::core

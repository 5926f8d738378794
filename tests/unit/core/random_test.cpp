// Tests for random bytes, UUIDv4 text and hex encoding.
#include <solar/core/random.hpp>

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace solar::core {
namespace {

TEST(random, hex_encoding) {
    std::array<unsigned char, 4> bytes{0x00, 0x0f, 0xa0, 0xff};
    EXPECT_EQ(to_hex(bytes), "000fa0ff");
    EXPECT_EQ(to_hex(std::span<const unsigned char>{}), "");
}

TEST(random, bytes_vary) {
    std::array<unsigned char, 32> a{};
    std::array<unsigned char, 32> b{};
    random_bytes(a);
    random_bytes(b);
    EXPECT_NE(a, b);
}

TEST(random, uuid_v4_shape_and_uniqueness) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        auto id = random_uuid_v4();
        ASSERT_EQ(id.size(), 36u);
        EXPECT_EQ(id[8], '-');
        EXPECT_EQ(id[13], '-');
        EXPECT_EQ(id[18], '-');
        EXPECT_EQ(id[23], '-');
        EXPECT_EQ(id[14], '4');                                          // version
        EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);  // RFC variant
        EXPECT_EQ(id.find_first_not_of("0123456789abcdef-"), std::string::npos);
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace solar::core

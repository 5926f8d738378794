// Tests for key comparison, key generation and the key file.
#include <solar/core/api_key.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sys/stat.h>

namespace solar::core {
namespace {

class temp_dir {
public:
    temp_dir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-key-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~temp_dir() { std::filesystem::remove_all(path_); }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

mode_t mode_of(const std::filesystem::path& file) {
    struct stat info {};
    EXPECT_EQ(::stat(file.c_str(), &info), 0);
    return info.st_mode & 0777;
}

TEST(constant_time_equals, compares_contents) {
    EXPECT_TRUE(constant_time_equals("secret", "secret"));
    EXPECT_TRUE(constant_time_equals("", ""));
    EXPECT_FALSE(constant_time_equals("secret", "secreT"));
    EXPECT_FALSE(constant_time_equals("secret", "secret2"));
    EXPECT_FALSE(constant_time_equals("secret", ""));
    EXPECT_FALSE(constant_time_equals("", "secret"));
    EXPECT_FALSE(constant_time_equals("a", "b"));
    std::string with_nul("ab\0c", 4);
    EXPECT_TRUE(constant_time_equals(with_nul, std::string("ab\0c", 4)));
    EXPECT_FALSE(constant_time_equals(with_nul, "ab"));
    // The presented key is compared against the expected one repeated: a repetition must not pass.
    EXPECT_FALSE(constant_time_equals("secretsecret", "secret"));
    EXPECT_FALSE(constant_time_equals("sec", "secret"));
    EXPECT_FALSE(constant_time_equals(std::string(256 + 6, 's'), std::string(6, 's')));
}

TEST(generate_api_key, has_prefix_hex_body_and_is_random) {
    std::set<std::string> seen;
    for (int i = 0; i < 20; ++i) {
        auto key = generate_api_key();
        ASSERT_EQ(key.size(), 6u + 64u);
        EXPECT_EQ(key.substr(0, 6), "solar-");
        EXPECT_EQ(key.find_first_not_of("0123456789abcdef", 6), std::string::npos);
        seen.insert(key);
    }
    EXPECT_EQ(seen.size(), 20u);
}

TEST(load_or_create_key_file, creates_a_0600_file_then_reuses_it) {
    temp_dir dir;
    auto first = load_or_create_key_file(dir.path(), "api_key");
    EXPECT_TRUE(first.generated);
    EXPECT_FALSE(first.insecure_permissions);
    EXPECT_EQ(first.file, dir.path() / "api_key");
    EXPECT_EQ(first.key.substr(0, 6), "solar-");
    EXPECT_EQ(mode_of(first.file), 0600u);

    auto second = load_or_create_key_file(dir.path(), "api_key");
    EXPECT_FALSE(second.generated);
    EXPECT_EQ(second.key, first.key);
    EXPECT_FALSE(second.insecure_permissions);
    // No temporary files are left behind.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(load_or_create_key_file, reads_an_existing_key_trimmed_and_flags_loose_permissions) {
    temp_dir dir;
    auto file = dir.path() / "api_key";
    {
        std::ofstream out(file);
        out << "  my-own-key \n";
    }
    ::chmod(file.c_str(), 0644);
    auto key = load_or_create_key_file(dir.path(), "api_key");
    EXPECT_EQ(key.key, "my-own-key");
    EXPECT_FALSE(key.generated);
    EXPECT_TRUE(key.insecure_permissions);
}

TEST(load_or_create_key_file, empty_file_is_an_error_not_an_open_gateway) {
    temp_dir dir;
    { std::ofstream out(dir.path() / "api_key"); }
    EXPECT_THROW(load_or_create_key_file(dir.path(), "api_key"), std::runtime_error);
}

TEST(load_or_create_key_file, missing_directory_throws) {
    temp_dir dir;
    EXPECT_THROW(load_or_create_key_file(dir.path() / "absent", "api_key"), std::system_error);
}

}  // namespace
}  // namespace solar::core

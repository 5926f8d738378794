// Tests for atomic file replacement.
#include <solar/core/atomic_file.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace solar::core {
namespace {

class atomic_file_test : public ::testing::Test {
protected:
    atomic_file_test() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "solar-atomic-XXXXXX").string();
        dir_ = ::mkdtemp(pattern.data());
    }
    ~atomic_file_test() override { std::filesystem::remove_all(dir_); }

    static std::string read(const std::filesystem::path& file) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }

    static mode_t mode_of(const std::filesystem::path& file) {
        struct stat info {};
        EXPECT_EQ(::stat(file.c_str(), &info), 0);
        return info.st_mode & 0777;
    }

    std::size_t entries() const {
        return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir_), {})
        );
    }

    std::filesystem::path dir_;
};

TEST_F(atomic_file_test, creates_with_exact_mode_despite_umask) {
    auto file = dir_ / "config.json";
    auto old_mask = ::umask(0077);
    write_file_atomically(file, "{\"a\":1}", 0644);
    ::umask(old_mask);
    EXPECT_EQ(read(file), "{\"a\":1}");
    EXPECT_EQ(mode_of(file), 0644u);
    EXPECT_EQ(entries(), 1u);
}

TEST_F(atomic_file_test, replaces_existing_content_and_mode) {
    auto file = dir_ / "secret";
    write_file_atomically(file, "old content that is longer", 0644);
    write_file_atomically(file, "new", 0600);
    EXPECT_EQ(read(file), "new");
    EXPECT_EQ(mode_of(file), 0600u);
    EXPECT_EQ(entries(), 1u);
}

TEST_F(atomic_file_test, writes_empty_and_binary_content) {
    auto file = dir_ / "blob";
    write_file_atomically(file, "", 0600);
    EXPECT_EQ(read(file), "");
    std::string binary("a\0b\xff", 4);
    write_file_atomically(file, binary, 0600);
    EXPECT_EQ(read(file), binary);
}

TEST_F(atomic_file_test, failure_names_the_path_and_leaves_nothing) {
    auto file = dir_ / "missing-dir" / "x";
    try {
        write_file_atomically(file, "x", 0600);
        FAIL() << "expected std::system_error";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("missing-dir"), std::string::npos);
    }
    EXPECT_EQ(entries(), 0u);
}

TEST_F(atomic_file_test, renaming_onto_a_directory_fails_without_leftovers) {
    std::filesystem::create_directory(dir_ / "taken");
    EXPECT_THROW(write_file_atomically(dir_ / "taken", "x", 0600), std::system_error);
    EXPECT_EQ(entries(), 1u);  // only the directory; the temporary file was removed
}

}  // namespace
}  // namespace solar::core

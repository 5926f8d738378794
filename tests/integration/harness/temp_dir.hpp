// A fresh directory for one test's files, removed with everything in it when the test ends.
#pragma once

#include <filesystem>
#include <string>

namespace solar::test {

struct temp_dir {
    // Creates a unique directory under $TMPDIR (or /tmp). Throws std::system_error on failure.
    temp_dir();
    // Removes the directory, unless SOLAR_KEEP_TEST_DIRS is set (to read logs after a failure).
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // path() / name.
    std::filesystem::path file(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

}  // namespace solar::test

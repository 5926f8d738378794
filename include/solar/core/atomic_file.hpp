// Crash-safe file replacement: readers see the old content or the new, never a torn mix.
#pragma once

#include <filesystem>
#include <string_view>
#include <sys/types.h>

namespace solar::core {

// Writes `content` to a temporary file beside `path` with permissions `mode` (umask does not
// apply), fsyncs it, renames it over `path` and fsyncs the directory. The parent directory
// must exist. Throws std::system_error naming the path on failure; `path` is then untouched.
void write_file_atomically(
    const std::filesystem::path& path, std::string_view content, mode_t mode
);

}  // namespace solar::core

// .env files: KEY=VALUE settings that sit below the real environment in precedence.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace solar::core {

// Parses .env text: KEY=VALUE lines with an optional `export ` prefix, `#` comment lines and
// blank lines; whitespace around keys and values is trimmed. Values may be 'single-quoted'
// (literal) or "double-quoted" (with \n \r \t \\ \" escapes); either may span lines. An
// unquoted value ends at a ` #` inline comment. Lines without `=` or with an invalid key
// are skipped; a later duplicate wins. No ${VAR} expansion.
std::map<std::string, std::string> parse_dotenv(std::string_view text);

// Reads and parses the file; a missing file gives an empty map. Throws std::system_error when
// the file exists but cannot be read.
std::map<std::string, std::string> load_dotenv_file(const std::filesystem::path& file);

}  // namespace solar::core

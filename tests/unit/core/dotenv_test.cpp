// Tests for .env parsing and loading.
#include <solar/core/dotenv.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace solar::core {
namespace {

using env = std::map<std::string, std::string>;

TEST(dotenv, plain_pairs_comments_and_blank_lines) {
    auto parsed = parse_dotenv(
        "# solar settings\n"
        "\n"
        "API_KEY=abc123\n"
        "  PORT = 8000  \n"
        "   # indented comment\n"
        "EMPTY=\n"
    );
    EXPECT_EQ(parsed, (env{{"API_KEY", "abc123"}, {"PORT", "8000"}, {"EMPTY", ""}}));
}

TEST(dotenv, export_prefix) {
    auto parsed = parse_dotenv("export HOST=127.0.0.1\nexport\tPORT=1\nexport=literal\n");
    EXPECT_EQ(parsed, (env{{"HOST", "127.0.0.1"}, {"PORT", "1"}, {"export", "literal"}}));
}

TEST(dotenv, inline_comments_only_after_whitespace) {
    auto parsed = parse_dotenv("A=value # note\nB=val#ue\nC= # only a comment\nD=#hash\n");
    EXPECT_EQ(parsed, (env{{"A", "value"}, {"B", "val#ue"}, {"C", ""}, {"D", "#hash"}}));
}

TEST(dotenv, double_quotes_with_escapes) {
    auto parsed = parse_dotenv(R"(A="line1\nline2"
B="tab\there \"quoted\" back\\slash"
C="  keep spaces # not a comment  "  # comment
D="\x stays"
)");
    EXPECT_EQ(parsed.at("A"), "line1\nline2");
    EXPECT_EQ(parsed.at("B"), "tab\there \"quoted\" back\\slash");
    EXPECT_EQ(parsed.at("C"), "  keep spaces # not a comment  ");
    EXPECT_EQ(parsed.at("D"), "\\x stays");
}

TEST(dotenv, single_quotes_are_literal) {
    auto parsed = parse_dotenv("A='no \\n escape # here'\nB=''\n");
    EXPECT_EQ(parsed.at("A"), "no \\n escape # here");
    EXPECT_EQ(parsed.at("B"), "");
}

TEST(dotenv, quoted_values_may_span_lines) {
    auto parsed = parse_dotenv("CERT=\"-----BEGIN\r\nabc\r\n-----END\"\r\nNEXT=1\r\n");
    EXPECT_EQ(parsed.at("CERT"), "-----BEGIN\nabc\n-----END");
    EXPECT_EQ(parsed.at("NEXT"), "1");
}

TEST(dotenv, crlf_and_missing_final_newline) {
    auto parsed = parse_dotenv("A=1\r\nB=two words\r\nC=3");
    EXPECT_EQ(parsed, (env{{"A", "1"}, {"B", "two words"}, {"C", "3"}}));
}

TEST(dotenv, malformed_lines_are_skipped_and_later_wins) {
    auto parsed = parse_dotenv("no equals sign\n=novalue\n1BAD=x\nA=first\nA=second\n");
    EXPECT_EQ(parsed, (env{{"A", "second"}}));
}

TEST(dotenv, unterminated_quote_reads_as_a_plain_line) {
    auto parsed = parse_dotenv("A=\"open\nB=2\n");
    EXPECT_EQ(parsed.at("A"), "\"open");
    EXPECT_EQ(parsed.at("B"), "2");
}

TEST(dotenv, equals_inside_values) {
    EXPECT_EQ(parse_dotenv("URL=http://h/?a=b").at("URL"), "http://h/?a=b");
}

TEST(dotenv_file, missing_file_is_empty_and_existing_file_is_parsed) {
    std::string pattern = (std::filesystem::temp_directory_path() / "solar-dotenv-XXXXXX").string();
    std::filesystem::path dir = ::mkdtemp(pattern.data());
    EXPECT_TRUE(load_dotenv_file(dir / ".env").empty());
    {
        std::ofstream out(dir / ".env");
        out << "PORT=9000\n";
    }
    EXPECT_EQ(load_dotenv_file(dir / ".env"), (env{{"PORT", "9000"}}));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace solar::core

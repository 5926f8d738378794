// Tests for child argv construction and its redacted log form.
#include <solar/host/command_line.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace solar::host {
namespace {

using strings = std::vector<std::string>;

const backend_programs programs{"/opt/llama/llama-server", "/opt/solar/solar-hf-runner"};

llamacpp_config llama() {
    llamacpp_config c;
    c.model = "/models/m.gguf";
    c.alias = "llama:8b";
    c.api_key = "secret-key";
    c.temp = 0.7;
    c.top_p = 0.9;
    c.top_k = 40;
    c.min_p = 0.05;
    c.threads = 4;
    c.ctx_size = 8192;
    return c;
}

TEST(command_line, llama_server_argv) {
    EXPECT_EQ(
        command_line(llama(), 3500, programs),
        (strings{
            "/opt/llama/llama-server",
            "-m",
            "/models/m.gguf",
            "--alias",
            "llama:8b",
            "-t",
            "4",
            "-ngl",
            "999",
            "--temp",
            "0.7",
            "--top-p",
            "0.9",
            "--top-k",
            "40",
            "--min-p",
            "0.05",
            "-c",
            "8192",
            "--host",
            "0.0.0.0",
            "--port",
            "3500",
            "--api-key",
            "secret-key"})
    );
}

TEST(command_line, llama_server_optional_flags_and_assigned_port) {
    auto c = llama();
    c.chat_template_file = "/t/harmony.jinja";
    c.special = true;
    c.embeddings = true;
    c.pooling = "mean";
    c.host = "127.0.0.1";
    c.port = 4000;  // the requested port; the assigned one is what counts
    auto argv = command_line(c, 3501, programs);
    strings tail(argv.begin() + 19, argv.end());
    EXPECT_EQ(
        tail,
        (strings{
            "--chat-template-file",
            "/t/harmony.jinja",
            "--jinja",
            "--special",
            "--embeddings",
            "--pooling",
            "mean",
            "--host",
            "127.0.0.1",
            "--port",
            "3501",
            "--api-key",
            "secret-key"})
    );
}

TEST(command_line, numbers_are_short_and_locale_free) {
    EXPECT_EQ(format_number(0.7), "0.7");
    EXPECT_EQ(format_number(1.0), "1");
    EXPECT_EQ(format_number(0.0), "0");
    EXPECT_EQ(format_number(0.05), "0.05");
    EXPECT_EQ(format_number(1.25), "1.25");
    EXPECT_EQ(format_number(0.1 + 0.2), "0.30000000000000004");  // exact, never rounded away
}

TEST(command_line, hf_causal_argv) {
    hf_causal_config c;
    c.model_id = "microsoft/phi-2";
    c.alias = "phi-2";
    c.api_key = "k";
    c.device = "cuda";
    c.dtype = "float16";
    c.max_length = 2048;
    c.use_flash_attention = false;
    c.trust_remote_code = true;
    EXPECT_EQ(
        command_line(c, 3502, programs),
        (strings{
            "/opt/solar/solar-hf-runner",
            "--task",
            "causal",
            "--model-id",
            "microsoft/phi-2",
            "--alias",
            "phi-2",
            "--device",
            "cuda",
            "--dtype",
            "float16",
            "--max-length",
            "2048",
            "--trust-remote-code",
            "--use-flash-attention",
            "false",
            "--host",
            "0.0.0.0",
            "--port",
            "3502",
            "--api-key",
            "k"})
    );
}

TEST(command_line, hf_classification_argv) {
    hf_classification_config c;
    c.model_id = "m";
    c.alias = "s";
    c.api_key = "k";
    c.labels = strings{"negative", "neutral", "positive"};
    EXPECT_EQ(
        command_line(c, 3503, programs),
        (strings{
            "/opt/solar/solar-hf-runner",
            "--task",
            "classification",
            "--model-id",
            "m",
            "--alias",
            "s",
            "--device",
            "auto",
            "--dtype",
            "auto",
            "--max-length",
            "512",
            "--labels",
            "negative,neutral,positive",
            "--host",
            "0.0.0.0",
            "--port",
            "3503",
            "--api-key",
            "k"})
    );
    c.labels.reset();
    auto argv = command_line(c, 3503, programs);
    EXPECT_EQ(std::find(argv.begin(), argv.end(), "--labels"), argv.end());
}

TEST(command_line, hf_embedding_argv) {
    hf_embedding_config c;
    c.model_id = "m";
    c.alias = "e";
    c.api_key = "k";
    c.pooling = "cls";
    auto argv = command_line(c, 3504, programs);
    strings middle(argv.begin() + 1, argv.begin() + 3);
    EXPECT_EQ(middle, (strings{"--task", "embedding"}));
    strings tail(argv.begin() + 13, argv.end());
    EXPECT_EQ(
        tail,
        (strings{
            "--normalize",
            "true",
            "--pooling",
            "cls",
            "--host",
            "0.0.0.0",
            "--port",
            "3504",
            "--api-key",
            "k"})
    );
}

TEST(command_line, redaction_hides_api_keys) {
    auto argv = command_line(llama(), 3500, programs);
    auto redacted = redact_command_line(argv);
    EXPECT_EQ(redacted.back(), "***");
    EXPECT_EQ(redacted.size(), argv.size());
    EXPECT_EQ(
        redact_command_line({"x", "--api-key=abc", "--api-key"}),
        (strings{"x", "--api-key=***", "--api-key"})
    );

    auto line = command_line_for_log(argv);
    EXPECT_EQ(line.find("secret-key"), std::string::npos);
    EXPECT_NE(line.find("--api-key ***"), std::string::npos);
    EXPECT_EQ(line.rfind("/opt/llama/llama-server -m /models/m.gguf --alias llama:8b", 0), 0u);
}

TEST(command_line, log_line_quotes_what_the_shell_would_split) {
    EXPECT_EQ(
        command_line_for_log({"/bin/x", "-m", "/my models/a.gguf", "it's", ""}),
        "/bin/x -m '/my models/a.gguf' 'it'\\''s' ''"
    );
}

}  // namespace
}  // namespace solar::host

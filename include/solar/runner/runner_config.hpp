// solar-hf-runner's command line: the contract solar-host spawns it with
// (tests/fixtures/llama_stub/README.md), parsed once into a plain struct.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace solar::runner {

enum class runner_task { classification, embedding, causal };

struct runner_config {
    runner_task task = runner_task::embedding;
    std::string model_id;  // a local directory or a hub id "org/name"
    std::string alias;     // defaults to model_id
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0 = any free port (tests)
    std::string api_key;     // "" = no key checked
    std::string device = "auto";
    std::string dtype = "auto";
    std::size_t max_length = 512;      // tokens per input, special tokens included
    std::vector<std::string> labels;   // empty = the model's id2label
    bool trust_remote_code = false;    // accepted for compatibility; no remote code ever runs
    bool normalize = true;             // L2-normalise embeddings
    std::string pooling = "mean";      // mean, cls or last
    bool use_flash_attention = false;  // accepted; libtorch picks its own attention kernels
    std::size_t threads = 0;           // libtorch intra-op threads, 0 = one per core
    std::size_t max_batch_size = 32;   // sequences per forward pass
    std::chrono::milliseconds max_batch_wait{5};
    std::string log_level = "info";
};

// Either a configuration to run with, or a message to print and an exit code.
struct runner_parse_outcome {
    std::optional<runner_config> config;
    int exit_code = 0;    // 0 for --help, 2 for an unknown flag, a bad value or a missing one
    std::string message;  // help text, or "solar-hf-runner: error: ..." naming the flag
};

// Parses argv (`--flag value` and `--flag=value`). Never throws for bad input.
runner_parse_outcome parse_runner_config(int argc, const char* const* argv);

// "classification", "embedding" or "causal".
const char* task_name(runner_task task);

}  // namespace solar::runner

// Facts read from a model's own files without loading it: the parameter count, from a GGUF
// header or from safetensors headers (single file, sharded index, or a model directory).
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace solar::host {

// Why a model's files gave no parameter count.
enum class model_facts_errc {
    not_found = 1,        // no such file or directory
    unreadable,           // exists but cannot be opened or read
    unknown_format,       // neither GGUF nor safetensors
    unsupported_version,  // GGUF version other than 2 or 3
    truncated,            // a length or count points past the end of the file
    malformed,            // inconsistent content: bad type, too many dims, overflow, bad JSON
    no_weights,           // a directory without model.safetensors(.index.json)
};
const boost::system::error_category& model_facts_category();
boost::system::error_code make_error_code(model_facts_errc e);

enum class model_format { gguf, safetensors };

struct model_facts {
    model_format format = model_format::gguf;
    std::uint64_t parameter_count = 0;
    // True when the count came from GGUF metadata general.parameter_count rather than from
    // summing the tensors' element counts.
    bool count_from_metadata = false;
    std::uint64_t tensor_count = 0;
    std::optional<std::string> architecture;  // GGUF general.architecture
    std::optional<std::string> name;          // GGUF general.name
};

// Reads a GGUF header from `in`, whose total length is `size` bytes: magic "GGUF", version 2 or
// 3, the metadata (every value type, arrays included, skipped unless needed) and the tensor
// infos. The count is general.parameter_count when present, else the sum over tensors of the
// product of their dims (what llama-server reports as n_params). Every length and count is
// checked against the bytes left before anything is read or allocated, so a truncated or
// hostile file fails with truncated or malformed, never with a crash or a huge allocation.
boost::system::result<model_facts> read_gguf_facts(std::istream& in, std::uint64_t size);

// Reads a safetensors header from `in` (total length `size`): an 8-byte little-endian header
// length, then that many bytes of JSON mapping tensor names to {"dtype","shape","data_offsets"}.
// The count is the sum of the shape products, "__metadata__" skipped. The header length is
// bounded by the file size and by 100 MiB (the format's own limit).
boost::system::result<model_facts> read_safetensors_facts(std::istream& in, std::uint64_t size);

// The facts of a model at `path`, reading only headers:
// - a directory: model.safetensors.index.json (every shard named in its weight_map, summed;
//   shard names must be plain file names inside the directory), else model.safetensors, else
//   the directory's only *.gguf file; otherwise no_weights;
// - a file: GGUF when it starts with "GGUF", else safetensors.
// Fails with model_facts_errc (not_found, unreadable, ...).
boost::system::result<model_facts> read_model_facts(const std::filesystem::path& path);

// The local directory of a Hugging Face model id: the id itself when it names an existing
// directory, else the snapshot in the hub cache `hub_cache`
// (<hub_cache>/models--<org>--<name>/snapshots/<refs/main>), else nullopt (not downloaded).
// `hub_cache` is $HF_HUB_CACHE, or $HF_HOME/hub, or ~/.cache/huggingface/hub; the caller reads
// the environment.
std::optional<std::filesystem::path> resolve_hf_model_dir(
    std::string_view model_id, const std::filesystem::path& hub_cache
);

// A short human form of a parameter count: "513K", "7.2B", "70B", "1.5T", "999". One decimal
// below 10 of the unit (dropped when it is .0), whole numbers above.
std::string format_parameter_count(std::uint64_t count);

}  // namespace solar::host

template <>
struct boost::system::is_error_code_enum<solar::host::model_facts_errc> : std::true_type {};

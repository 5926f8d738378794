// decoder_model on libtorch: load() resolves device and dtype and reads the weights; each
// sequence owns a kv_cache that prefill and decode_step extend in place.
#include <solar/runner/decoder_model.hpp>
#include <solar/runner/safetensors.hpp>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <stdexcept>

#include "llama_decoder.hpp"
#include "tensor_source.hpp"

namespace solar::runner {

namespace {

using namespace torch_impl;

class torch_decoder_sequence final : public decoder_sequence {
public:
    explicit torch_decoder_sequence(const void* owner) : owner_(owner) {}

    std::size_t length() const override { return static_cast<std::size_t>(cache_.length); }
    void clear() override { cache_.length = 0; }

    const void* owner_;
    kv_cache cache_;
};

boost::system::result<at::Device, std::string> resolve_device(const std::string& name) {
    if (name == "auto") return at::hasCUDA() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
    if (name == "cpu") return at::Device(at::kCPU);
    if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
        if (!at::hasCUDA()) {
            return boost::system::result<at::Device, std::string>(
                boost::system::in_place_error,
                "device " + name + " requested, but this libtorch build has no CUDA support"
            );
        }
        try {
            return at::Device(name == "cuda" ? std::string("cuda:0") : name);
        } catch (const std::exception&) {
        }
    }
    return boost::system::result<at::Device, std::string>(
        boost::system::in_place_error,
        "unknown device " + name + " (supported: auto, cpu, cuda, cuda:N)"
    );
}

// auto: float32 on the CPU (libtorch 1.13 has no half-precision CPU matmul); on a GPU the
// checkpoint's half type.
boost::system::result<at::ScalarType, std::string> resolve_dtype(
    const std::string& name, const at::Device& device, const decoder_config& config
) {
    std::string chosen = name;
    if (chosen == "auto") {
        bool half = config.torch_dtype == "float16" || config.torch_dtype == "bfloat16";
        chosen = device.is_cuda() && half ? config.torch_dtype : "float32";
    }
    if (chosen == "float32" || chosen == "fp32") return at::kFloat;
    if (chosen == "bfloat16" || chosen == "bf16") return at::kBFloat16;
    if (chosen == "float16" || chosen == "fp16" || chosen == "half") {
        if (device.is_cpu())
            return std::string("dtype float16 is not supported on the CPU; use bfloat16 or float32"
            );
        return at::kHalf;
    }
    return "unknown dtype " + name + " (supported: auto, float32, float16, bfloat16)";
}

std::string dtype_label(at::ScalarType type) {
    return type == at::kHalf ? "float16" : type == at::kBFloat16 ? "bfloat16" : "float32";
}

class torch_decoder_model final : public decoder_model {
public:
    torch_decoder_model(decoder_weights weights, decoder_description description, at::Device device)
        : weights_(std::move(weights)), description_(std::move(description)), device_(device) {}

    using decoder_model::decode_step;

    std::unique_ptr<decoder_sequence> new_sequence() override {
        return std::make_unique<torch_decoder_sequence>(this);
    }

    std::vector<float> prefill(decoder_sequence& sequence, std::span<const std::int32_t> ids)
        override {
        auto& state = own(sequence);
        check(state, ids);
        c10::InferenceMode guard;
        forward_segment segment{&state.cache_, static_cast<std::int64_t>(ids.size())};
        return std::move(
            logits(decoder_forward(weights_, config(), to_tensor(ids), {&segment, 1})).front()
        );
    }

    // One forward pass for all the sequences: the projections and MLP see a [B, hidden] batch,
    // attention runs per sequence over its own cache (see decoder_model.md).
    std::vector<std::vector<float>> decode_step(
        std::span<decoder_sequence* const> sequences, std::span<const std::int32_t> tokens
    ) override {
        if (sequences.size() != tokens.size()) {
            throw std::invalid_argument("decode_step needs one token per sequence");
        }
        std::vector<forward_segment> segments;
        for (std::size_t i = 0; i < sequences.size(); ++i) {
            auto& state = own(*sequences[i]);
            check(state, tokens.subspan(i, 1));
            for (std::size_t j = 0; j < i; ++j) {
                if (sequences[j] == sequences[i]) {
                    throw std::invalid_argument("decode_step got a sequence twice");
                }
            }
            segments.push_back({&state.cache_, 1});
        }
        if (segments.empty()) return {};
        c10::InferenceMode guard;
        return logits(decoder_forward(weights_, config(), to_tensor(tokens), segments));
    }

    const decoder_description& description() const override { return description_; }

private:
    const decoder_config& config() const { return description_.config; }

    torch_decoder_sequence& own(decoder_sequence& sequence) const {
        auto* state = dynamic_cast<torch_decoder_sequence*>(&sequence);
        if (!state || state->owner_ != this) {
            throw std::invalid_argument("the sequence belongs to another model");
        }
        return *state;
    }

    void check(const torch_decoder_sequence& state, std::span<const std::int32_t> ids) const {
        if (ids.empty()) throw std::invalid_argument("no tokens to process");
        for (auto id : ids) {
            if (id < 0 || id >= config().vocab_size) {
                throw std::invalid_argument(
                    "token id " + std::to_string(id) + " is outside the vocabulary of " +
                    std::to_string(config().vocab_size)
                );
            }
        }
        auto total = state.cache_.length + static_cast<std::int64_t>(ids.size());
        if (total > config().max_position_embeddings) {
            throw std::invalid_argument(
                "the sequence would reach " + std::to_string(total) + " tokens, past the model's " +
                std::to_string(config().max_position_embeddings)
            );
        }
    }

    at::Tensor to_tensor(std::span<const std::int32_t> ids) const {
        auto tensor = at::empty({static_cast<std::int64_t>(ids.size())}, at::kLong);
        std::copy(ids.begin(), ids.end(), tensor.data_ptr<std::int64_t>());
        return tensor.to(device_);
    }

    // The lm_head over each row's hidden state, as float32 on the CPU.
    std::vector<std::vector<float>> logits(const at::Tensor& hidden) const {
        auto table = at::linear(hidden, weights_.lm_head).to(at::kCPU, at::kFloat).contiguous();
        const float* data = table.data_ptr<float>();
        auto width = table.size(1);
        std::vector<std::vector<float>> rows;
        for (std::int64_t i = 0; i < table.size(0); ++i) {
            rows.emplace_back(data + i * width, data + (i + 1) * width);
        }
        return rows;
    }

    decoder_weights weights_;
    decoder_description description_;
    at::Device device_;
};

}  // namespace

boost::system::result<std::unique_ptr<decoder_model>, std::string> decoder_model::load(
    const std::filesystem::path& model_dir, const model_load_options& options
) {
    auto config = read_decoder_config(model_dir);
    if (!config) return config.error();
    auto device = resolve_device(options.device);
    if (!device) return device.error();
    auto dtype = resolve_dtype(options.dtype, *device, *config);
    if (!dtype) return dtype.error();
    auto weights = safetensors_weights::open_directory(model_dir);
    if (!weights) return weights.error();
    set_intra_op_threads(options.threads);

    tensor_source source(
        std::make_shared<const safetensors_weights>(std::move(*weights)),
        at::TensorOptions().dtype(*dtype).device(*device)
    );
    try {
        auto network = load_decoder_weights(source, *config);
        decoder_description d;
        d.config = std::move(*config);
        d.parameter_count = source.parameter_count();
        d.dtype = dtype_label(*dtype);
        d.device = device->str();
        return std::unique_ptr<decoder_model>(
            new torch_decoder_model(std::move(network), std::move(d), *device)
        );
    } catch (const weight_error& e) {
        return model_dir.string() + ": " + e.what();
    }
}

}  // namespace solar::runner
